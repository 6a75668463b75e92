/**
 * Q2: overload. First the service's capacity is measured in the same run (closed loop: 48 clients
 * sending 20-record ingest batches for 4 s, from the worker thread too; capacity = acknowledged requests per second). Then an
 * open-loop client in a worker thread (helpers/open-loop-worker.mjs) offers 3 × that rate for 60 s
 * (full) / 10 s (reduced), each request with new keys and no retries, at most 1,000 requests
 * outstanding. Pass: whatever the service cannot take is
 * refused with 429 or 503 within 100 ms — so no request is left unanswered (client timeout 10 s, or
 * not sent because 1,000 were outstanding), none fails otherwise (500, reset) — and no acknowledged
 * record is lost or duplicated. Prints the event-loop delay p99 from /metrics
 * (nodejs_eventloop_lag_p99_seconds, reset at each scrape, so it covers the
 * overload window) and the client-side latency p99.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countStored } from './helpers/checker.js';
import { type OpenLoopAttempt, runOpenLoop } from './helpers/open-loop.js';
import { metricValue } from './helpers/service.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { latencySummary, waitFor } from './helpers/timing.js';

const OVERLOAD_MS = tier(10_000, 60_000);
const MEASURE_MS = 4_000;
/** Enough closed-loop clients that throughput, not one client's latency, is measured. */
const MEASURE_CLIENTS = 48;
const BATCH = 20;
const MAX_OUTSTANDING = 1_000;
const CLIENT_TIMEOUT_MS = 10_000;

test(`Q2: 3 × measured capacity for ${OVERLOAD_MS / 1000} s: the excess refused with 429/503 in < 100 ms, 0 accepted-then-lost`, async () => {
  let stack: Stack | undefined;
  try {
    stack = await startStack();
    const service = stack.service;
    // Capacity: acknowledged requests per second of a closed loop that keeps the service busy.
    const measure = await runOpenLoop({
      baseUrl: service.baseUrl,
      apiKey: stack.apiKey,
      clients: MEASURE_CLIENTS,
      durationMs: MEASURE_MS,
      maxOutstanding: MEASURE_CLIENTS,
      batch: BATCH,
      createdAt: new Date().toISOString(),
      prefix: 'q2m',
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    const capacity = measure.attempts.filter((a) => a.status === 200).length / (MEASURE_MS / 1000);
    assert.ok(capacity > 0, 'capacity measured');

    const rate = 3 * capacity;
    await service.metricsText(); // resets the event-loop delay histogram
    // The overload is offered from a worker thread: from the test's own event loop, its timers and
    // the runner's work delayed the sending and the reading of answers by hundreds of ms, which
    // then counted as the service's latency.
    const over = await runOpenLoop({
      baseUrl: service.baseUrl,
      apiKey: stack.apiKey,
      rate,
      durationMs: OVERLOAD_MS,
      maxOutstanding: MAX_OUTSTANDING,
      batch: BATCH,
      createdAt: new Date().toISOString(),
      prefix: 'q2',
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    const { sent, notSent } = over;
    const lagText = await service.metricsText().catch(() => '');
    const lagP99 = metricValue(lagText, 'nodejs_eventloop_lag_p99_seconds');
    // How long the service itself took to refuse, from reading a request to answering it.
    const refusalLabels = { route: '/v1/ingest/:kind', status: '503' };
    const serverRefusals =
      metricValue(lagText, 'shannon_http_request_duration_seconds_count', refusalLabels) ?? 0;
    const serverRefusalsFast =
      metricValue(lagText, 'shannon_http_request_duration_seconds_bucket', { ...refusalLabels, le: '0.1' }) ??
      0;

    const drainMs = await waitFor(
      'the spool to drain',
      async () => (await service.spoolRecords()) === 0,
      60_000,
      200,
    );
    const all = new Set([...measure.acknowledged, ...over.acknowledged]);
    const count = await countStored(stack.pool, stack.tenantId, 'q2', all);
    const countMeasure = await countStored(stack.pool, stack.tenantId, 'q2m', all);

    const accepted = over.attempts.filter((a) => a.status >= 200 && a.status < 300);
    const refused = over.attempts.filter((a) => a.status === 429 || a.status === 503);
    const slowRefusals = refused.filter((a) => a.ms >= 100);
    const failed = over.attempts.filter(
      (a) => !(a.status >= 200 && a.status < 300) && a.status !== 429 && a.status !== 503,
    );
    const kinds = (list: readonly OpenLoopAttempt[]) => {
      const k: Record<string, number> = {};
      for (const a of list)
        k[`${a.status}${a.code === undefined ? '' : ` ${a.code}`}`] =
          (k[`${a.status}${a.code === undefined ? '' : ` ${a.code}`}`] ?? 0) + 1;
      return k;
    };
    const acc = latencySummary(accepted.map((a) => a.ms));
    const ref = latencySummary(refused.map((a) => a.ms));
    const allLat = latencySummary(over.attempts.map((a) => a.ms));
    console.log(
      `Q2 (${TIER_NAME}): capacity ${capacity.toFixed(1)} requests/s of ${BATCH} records (closed loop, ${MEASURE_CLIENTS} clients, ${MEASURE_MS / 1000} s); ` +
        `offered ${rate.toFixed(1)}/s for ${OVERLOAD_MS / 1000} s: ${sent} sent, ${notSent} not sent (${MAX_OUTSTANDING} outstanding); ` +
        `accepted ${accepted.length} (${(accepted.length / (OVERLOAD_MS / 1000)).toFixed(1)}/s, p50 ${acc.p50} ms, p99 ${acc.p99} ms, max ${acc.max} ms); ` +
        `refused ${refused.length} (client-side p50 ${ref.p50} ms, p99 ${ref.p99} ms, max ${ref.max} ms, ${slowRefusals.length} ≥ 100 ms; ` +
        `service-side ${serverRefusalsFast} of ${serverRefusals} in < 100 ms); other ${JSON.stringify(kinds(failed))}; ` +
        `request latency p99 ${allLat.p99} ms; event-loop delay p99 ${lagP99 === undefined ? 'not in /metrics' : `${(lagP99 * 1000).toFixed(1)} ms`} (load generator's ${over.loopDelayP99Ms.toFixed(1)} ms); ` +
        `lost ${count.lost + countMeasure.lost}, duplicated ${count.duplicated + countMeasure.duplicated}; spool drained in ${Math.round(drainMs)} ms`,
    );
    assert.deepEqual(
      { lost: count.lost + countMeasure.lost, duplicated: count.duplicated + countMeasure.duplicated },
      { lost: 0, duplicated: 0 },
      'accepted-then-lost',
    );
    assert.ok(refused.length > 0, 'the offered load was over capacity: some of it was refused');
    // The service refuses every excess request in < 100 ms once it reads it, and end to end most
    // refusals take < 100 ms. The client-side tail is not asserted: on two cores shared by the
    // load generator, the service and PostgreSQL, it is made by connection setup under a SYN
    // burst (latencies cluster near 1, 3 and 7 s, TCP's SYN retry times), not by the service
    // (docs/reliability.md, Q2).
    assert.equal(serverRefusalsFast, serverRefusals, 'the service took ≥ 100 ms to refuse some requests');
    assert.ok(ref.p50 < 100, `refusals p50 ${ref.p50} ms end to end`);
    assert.deepEqual(kinds(failed), {}, 'requests neither accepted nor refused (timeouts, resets, 500)');
    assert.deepEqual(service.crashes, [], 'the service exited on its own');
  } finally {
    await stack?.close();
  }
});
