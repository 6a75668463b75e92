/**
 * D2: kill -9 of the service under HTTP ingest, restarted each time on the same data directory,
 * with clients that resend every unacknowledged batch with the same keys until it is acknowledged.
 * 1. plain kills, 10 (full) / 3 (reduced): 0 lost, 0 duplicated;
 * 2. the same, but before each kill PostgreSQL is held away (proxy blackhole: batches time out and
 *    are acknowledged from the spool) and then every connection is cut, so the next start finds a
 *    spool to replay while the load goes on. Pass: 0 lost, 0 duplicated, and after each start the
 *    spool empties under load (within 15 s reduced / 60 s full). Prints the spool's peak
 *    (shannon_ingest_spool_records on /metrics) and the drain times.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Checker, countStored, runLoad } from './helpers/checker.js';
import { metricValue } from './helpers/service.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { sleep, waitFor } from './helpers/timing.js';

const KILLS = tier(3, 10);
const DEADLINE_MS = 1_000;
const DRAIN_BOUND_MS = tier(15_000, 60_000);

describe('D2: kill -9 of the service under HTTP ingest', () => {
  let stack: Stack;
  const checkers: Checker[] = [];
  before(async () => {
    stack = await startStack({
      pgProxy: true,
      env: { PG_QUERY_TIMEOUT_MS: String(DEADLINE_MS), PG_STATEMENT_TIMEOUT_MS: String(DEADLINE_MS * 2) },
    });
  });
  after(async () => {
    for (const c of checkers) c.close();
    await stack?.close();
  });

  test(`${KILLS} kills, client retrying with the same keys: 0 lost, 0 duplicated`, async () => {
    const checker = new Checker({
      baseUrl: stack.service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 20_000,
    });
    checkers.push(checker);
    let stop = false;
    const load = runLoad({
      checker,
      prefix: 'd2a',
      clients: 3,
      batchRecords: 25,
      stopped: () => stop,
      pauseMs: 10,
    });
    let restartMs = 0;
    for (let kill = 0; kill < KILLS; kill += 1) {
      await sleep(800 + Math.random() * 1_000);
      await stack.service.kill9();
      const t0 = performance.now();
      await stack.service.restart();
      restartMs += performance.now() - t0;
    }
    await sleep(1_000);
    stop = true;
    await load;
    const service = stack.service;
    await waitFor('the spool to drain', async () => (await service.spoolRecords()) === 0, 60_000, 200);
    const count = await countStored(stack.pool, stack.tenantId, 'd2a', checker.acknowledged);
    console.log(
      `D2 kills (${TIER_NAME}): ${KILLS} kill -9, restart to ready ${Math.round(restartMs / KILLS)} ms on average; ` +
        `${count.acknowledged} records acknowledged, ${count.rows} rows, lost ${count.lost}, duplicated ${count.duplicated}; ` +
        `statuses ${JSON.stringify(checker.statusCounts())}`,
    );
    assert.ok(count.acknowledged > 0, 'records were acknowledged');
    assert.deepEqual(
      { lost: count.lost, duplicated: count.duplicated },
      { lost: 0, duplicated: 0 },
      `lost ${count.lostExamples.join(',')}; duplicated ${count.duplicatedExamples.join(',')}`,
    );
  });

  test(`${KILLS} kills after PostgreSQL's connections are cut, spool replayed at start-up under load: 0 lost, 0 duplicated, drained`, async () => {
    const proxy = stack.pgProxy;
    assert.ok(proxy !== undefined);
    const checker = new Checker({
      baseUrl: stack.service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 20_000,
      maxRetryAfterMs: 1_000,
    });
    checkers.push(checker);
    let stop = false;
    const load = runLoad({
      checker,
      prefix: 'd2b',
      clients: 3,
      batchRecords: 25,
      stopped: () => stop,
      pauseMs: 10,
    });
    // The spool's size as the service reports it, sampled throughout.
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const text = await stack.service.metricsText();
          peak = Math.max(peak, metricValue(text, 'shannon_ingest_spool_records') ?? 0);
        } catch {
          // The service is between a kill and its restart.
        }
        await sleep(100);
      }
    })();
    const atStart: number[] = [];
    const drains: Array<number | undefined> = [];
    try {
      await sleep(1_000);
      for (let kill = 0; kill < KILLS; kill += 1) {
        // Held away long enough for batches to time out and be acknowledged from the spool.
        proxy.blackhole();
        await sleep(DEADLINE_MS * 2 + Math.random() * 1_000);
        proxy.cut();
        await stack.service.kill9();
        proxy.restore();
        await stack.service.restart();
        const service = stack.service;
        atStart.push(await service.spoolRecords());
        try {
          drains.push(
            await waitFor(
              'the spool to drain under load',
              async () => (await service.spoolRecords()) === 0,
              DRAIN_BOUND_MS,
              100,
            ),
          );
        } catch {
          drains.push(undefined);
        }
        await sleep(300 + Math.random() * 700);
      }
    } finally {
      proxy.restore();
      stop = true;
      await load;
      sampling = false;
      await sampler;
    }
    const service = stack.service;
    const finalDrain = await waitFor(
      'the spool to drain',
      async () => (await service.spoolRecords()) === 0,
      60_000,
      200,
    );
    const count = await countStored(stack.pool, stack.tenantId, 'd2b', checker.acknowledged);
    const requests = checker.attempts.length;
    console.log(
      `D2 cut+kill (${TIER_NAME}): ${KILLS} rounds; spool at each start ${JSON.stringify(atStart)} records, peak ${peak}; ` +
        `drain under load (ms) ${JSON.stringify(drains.map((d) => (d === undefined ? `>${DRAIN_BOUND_MS}` : Math.round(d))))}; ` +
        `drain after the load stopped ${Math.round(finalDrain)} ms; ${count.acknowledged} records acknowledged, ${count.rows} rows, ` +
        `lost ${count.lost}, duplicated ${count.duplicated}; ${requests} requests, statuses ${JSON.stringify(checker.statusCounts())}`,
    );
    assert.ok(peak > 0, 'the spool held records at some point (the fault reached the write path)');
    assert.deepEqual(
      { lost: count.lost, duplicated: count.duplicated },
      { lost: 0, duplicated: 0 },
      `lost ${count.lostExamples.join(',')}; duplicated ${count.duplicatedExamples.join(',')}`,
    );
    assert.deepEqual(
      drains.filter((d) => d === undefined).length,
      0,
      `the spool did not drain under load within ${DRAIN_BOUND_MS} ms after ${drains.filter((d) => d === undefined).length} of ${KILLS} starts`,
    );
  });
});
