/**
 * D3: PostgreSQL stopped for 60 s (full) / 15 s (reduced) under HTTP ingest, with the spool
 * bounded at 1 MiB (SHANNON_SPOOL_MAX_BYTES, its minimum). The client's key was verified before the
 * outage. Pass: during the outage writes are acknowledged from the spool (2xx) until its bound, and
 * past the bound answered 503 with Retry-After — never another error, never a silent drop; every
 * 2xx-acknowledged record is stored exactly once after recovery; the service's RSS stays bounded
 * (peak at most 128 MiB over its level before the outage: the write queue's own bound, 64 MiB,
 * plus as much again for HTTP buffers and garbage not yet collected). Prints RSS and the answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Attempt, Checker, countStored, runLoad } from './helpers/checker.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { sleep, waitFor } from './helpers/timing.js';

const OUTAGE_MS = tier(15_000, 60_000);
const SPOOL_MAX_BYTES = 1024 * 1024;
const RSS_GROWTH_BOUND_KIB = 128 * 1024;

function answers(list: readonly Attempt[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of list) {
    const k = `${a.status}${a.code === undefined ? '' : ` ${a.code}`}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

test(`D3: PostgreSQL stopped ${OUTAGE_MS / 1000} s under HTTP ingest: 2xx stored once, 503 + Retry-After past the spool bound, RSS bounded`, async () => {
  let stack: Stack | undefined;
  const checkers: Checker[] = [];
  try {
    stack = await startStack({
      env: {
        SHANNON_SPOOL_MAX_BYTES: String(SPOOL_MAX_BYTES),
        PG_QUERY_TIMEOUT_MS: '2000',
        PG_CONNECT_TIMEOUT_MS: '1000',
      },
    });
    const service = stack.service;
    const checker = new Checker({
      baseUrl: service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 30_000,
      maxRetryAfterMs: 2_000,
      // Records of about 600 bytes, so the 1 MiB spool fills within the outage.
      padChars: 500,
    });
    checkers.push(checker);
    let stop = false;
    const load = runLoad({
      checker,
      prefix: 'd3',
      clients: 3,
      batchRecords: 40,
      stopped: () => stop,
      pauseMs: 50,
    });
    await sleep(1_500);
    assert.ok(checker.acknowledged.size > 0, 'no batch was acknowledged before the outage');
    const rssBefore = service.rssKiB();
    let rssPeak = rssBefore;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        if (service.running) rssPeak = Math.max(rssPeak, service.rssKiB());
        await sleep(250);
      }
    })();

    const ackedBefore = checker.acknowledged.size;
    const outageStart = performance.now();
    await stack.cluster.stop();
    await sleep(OUTAGE_MS);
    const ackedDuring = checker.acknowledged.size - ackedBefore;
    const outageEnd = performance.now();
    await stack.cluster.start();
    await service.waitReady(60_000);
    const readyAfterMs = performance.now() - outageEnd;
    await sleep(3_000);
    stop = true;
    await load;
    sampling = false;
    await sampler;
    const rssAfter = service.rssKiB();
    const drainMs = await waitFor(
      'the spool to drain',
      async () => (await service.spoolRecords()) === 0,
      60_000,
      200,
    );
    const count = await countStored(stack.pool, stack.tenantId, 'd3', checker.acknowledged);

    const during = checker.attempts.filter((a) => a.startedAt >= outageStart && a.startedAt < outageEnd);
    const refusals = during.filter((a) => a.status < 200 || a.status >= 300);
    const without503 = refusals.filter((a) => a.status !== 503 || a.retryAfterMs === undefined);
    console.log(
      `D3 (${TIER_NAME}): PostgreSQL stopped ${OUTAGE_MS / 1000} s, spool bound ${SPOOL_MAX_BYTES} bytes; ` +
        `${ackedBefore} records acknowledged before, ${ackedDuring} during the outage; answers during ${JSON.stringify(answers(during))}; ` +
        `ready ${Math.round(readyAfterMs)} ms after PostgreSQL started; spool drained ${Math.round(drainMs)} ms after the load stopped; ` +
        `acknowledged ${count.acknowledged}, rows ${count.rows}, lost ${count.lost}, duplicated ${count.duplicated}; ` +
        `RSS before ${Math.round(rssBefore / 1024)} MiB, peak ${Math.round(rssPeak / 1024)} MiB, after ${Math.round(rssAfter / 1024)} MiB`,
    );
    assert.ok(ackedDuring > 0, 'no write was acknowledged from the spool during the outage');
    assert.ok(
      refusals.some((a) => a.status === 503),
      'the spool bound was never reached (no 503 during the outage)',
    );
    assert.deepEqual(answers(without503), {}, 'every refusal during the outage is a 503 with Retry-After');
    assert.deepEqual(
      { lost: count.lost, duplicated: count.duplicated },
      { lost: 0, duplicated: 0 },
      `lost ${count.lostExamples.join(',')}; duplicated ${count.duplicatedExamples.join(',')}`,
    );
    assert.ok(
      rssPeak - rssBefore <= RSS_GROWTH_BOUND_KIB,
      `RSS grew by ${Math.round((rssPeak - rssBefore) / 1024)} MiB during the outage`,
    );
    assert.deepEqual(service.crashes, [], 'the service exited on its own');
  } finally {
    for (const c of checkers) c.close();
    await stack?.close();
  }
});
