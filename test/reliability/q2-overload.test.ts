/**
 * Q2: overload. First the service's capacity is measured in the same run (closed loop: 48 clients
 * sending 20-record ingest batches for 4 s; capacity = acknowledged requests per second). Then an
 * open-loop client offers 3 × that rate for 60 s (full) / 10 s (reduced), each request with new
 * keys and no retries, at most 1,000 requests outstanding. Pass: whatever the service cannot take is
 * refused with 429 or 503 within 100 ms — so no request is left unanswered (client timeout 10 s, or
 * not sent because 1,000 were outstanding), none fails otherwise (500, reset) — and no acknowledged
 * record is lost or duplicated. Prints the event-loop delay p99 from /metrics
 * (shannon_process_nodejs_eventloop_lag_p99_seconds, reset at each scrape, so it covers the
 * overload window) and the client-side latency p99.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Attempt, Checker, countStored, runLoad } from './helpers/checker.js';
import { metricValue } from './helpers/service.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { latencySummary, sleep, waitFor } from './helpers/timing.js';

const OVERLOAD_MS = tier(10_000, 60_000);
const MEASURE_MS = 4_000;
/** Enough closed-loop clients that throughput, not one client's latency, is measured. */
const MEASURE_CLIENTS = 48;
const BATCH = 20;
const MAX_OUTSTANDING = 1_000;
const CLIENT_TIMEOUT_MS = 10_000;

test(`Q2: 3 × measured capacity for ${OVERLOAD_MS / 1000} s: the excess refused with 429/503 in < 100 ms, 0 accepted-then-lost`, async () => {
  let stack: Stack | undefined;
  const checkers: Checker[] = [];
  try {
    stack = await startStack();
    const service = stack.service;
    const measure = new Checker({ baseUrl: service.baseUrl, apiKey: stack.apiKey, requestTimeoutMs: 30_000 });
    checkers.push(measure);
    let stop = false;
    const measured = runLoad({
      checker: measure,
      prefix: 'q2m',
      clients: 8,
      batchRecords: BATCH,
      stopped: () => stop,
    });
    // A short warm-up, then the measured window.
    await sleep(1_000);
    const windowStart = performance.now();
    await sleep(MEASURE_MS);
    const windowEnd = performance.now();
    stop = true;
    await measured;
    const inWindow = measure.attempts.filter(
      (a) => a.status === 200 && a.startedAt >= windowStart && a.startedAt + a.ms <= windowEnd,
    );
    const capacity = inWindow.length / (MEASURE_MS / 1000);
    assert.ok(capacity > 0, 'capacity measured');

    const rate = 3 * capacity;
    const over = new Checker({
      baseUrl: service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: CLIENT_TIMEOUT_MS,
    });
    checkers.push(over);
    await service.metricsText(); // resets the event-loop delay histogram
    const createdAt = new Date().toISOString();
    const pending = new Set<Promise<void>>();
    let sent = 0;
    let notSent = 0;
    const started = performance.now();
    while (performance.now() - started < OVERLOAD_MS && !over.isClosed) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      while (sent + notSent < due) {
        if (pending.size >= MAX_OUTSTANDING) {
          notSent += 1;
          continue;
        }
        const keys = Array.from({ length: BATCH }, (_, i) => `q2-r${sent}-${i}`);
        sent += 1;
        const p: Promise<void> = over
          .send(keys, createdAt, { maxAttempts: 1 })
          .then(() => undefined)
          .finally(() => pending.delete(p));
        pending.add(p);
      }
      await sleep(5);
    }
    const lagText = await service.metricsText().catch(() => '');
    await Promise.all([...pending]);
    const lagP99 = metricValue(lagText, 'shannon_process_nodejs_eventloop_lag_p99_seconds');

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
    const failed = over.attempts.filter((a) => !accepted.includes(a) && !refused.includes(a));
    const kinds = (list: readonly Attempt[]) => {
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
        `refused ${refused.length} (p99 ${ref.p99} ms, max ${ref.max} ms, ${slowRefusals.length} ≥ 100 ms); other ${JSON.stringify(kinds(failed))}; ` +
        `request latency p99 ${allLat.p99} ms; event-loop delay p99 ${lagP99 === undefined ? 'not in /metrics' : `${(lagP99 * 1000).toFixed(1)} ms`}; ` +
        `lost ${count.lost + countMeasure.lost}, duplicated ${count.duplicated + countMeasure.duplicated}; spool drained in ${Math.round(drainMs)} ms`,
    );
    assert.deepEqual(
      { lost: count.lost + countMeasure.lost, duplicated: count.duplicated + countMeasure.duplicated },
      { lost: 0, duplicated: 0 },
      'accepted-then-lost',
    );
    assert.equal(slowRefusals.length, 0, `refusals taking ≥ 100 ms (slowest ${ref.max} ms)`);
    assert.deepEqual(kinds(failed), {}, 'requests neither accepted nor refused');
    assert.equal(
      notSent,
      0,
      `${notSent} requests not sent: ${MAX_OUTSTANDING} were outstanding (the excess was queued, not refused)`,
    );
    assert.deepEqual(service.crashes, [], 'the service exited on its own');
  } finally {
    for (const c of checkers) c.close();
    await stack?.close();
  }
});
