/**
 * C6: every PostgreSQL connection of the service (found by its application_name) is killed with
 * pg_terminate_backend every 500 ms for 60 s (full) / 10 s (reduced) under HTTP ingest. Pass: no
 * acknowledged record is lost (or stored twice) once the write path has settled, and the pool
 * recovers: requests succeed afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Checker, countStored, runLoad } from './helpers/checker.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { sleep, waitFor } from './helpers/timing.js';

const APPLICATION_NAME = 'shannon-reliability-c6';
const CHURN_MS = tier(10_000, 60_000);

test(`C6: pg_terminate_backend of the service's connections every 500 ms for ${CHURN_MS / 1000} s: 0 lost, the pool recovers`, async () => {
  let stack: Stack | undefined;
  const checkers: Checker[] = [];
  try {
    stack = await startStack({ env: { PG_APPLICATION_NAME: APPLICATION_NAME, PG_QUERY_TIMEOUT_MS: '5000' } });
    const checker = new Checker({
      baseUrl: stack.service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 30_000,
    });
    checkers.push(checker);
    let stop = false;
    const load = runLoad({
      checker,
      prefix: 'c6',
      clients: 3,
      batchRecords: 25,
      stopped: () => stop,
      pauseMs: 10,
    });
    await sleep(1_500);
    assert.ok(checker.acknowledged.size > 0, 'no batch was acknowledged before the fault');

    let terminated = 0;
    let rounds = 0;
    const churnEnd = Date.now() + CHURN_MS;
    while (Date.now() < churnEnd) {
      const rows = await stack.pool.query<{ n: string }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n
           FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
        [APPLICATION_NAME],
      );
      terminated += Number(rows.rows[0]?.n ?? 0);
      rounds += 1;
      await sleep(500);
    }
    const ackedDuringChurn = checker.acknowledged.size;
    await sleep(1_000);
    stop = true;
    await load;

    // Recovery: fresh requests succeed (ingest answers 2xx, a read answers 200).
    const after = new Checker({
      baseUrl: stack.service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 10_000,
    });
    const ingestOk = await after.send(['c6-after-0', 'c6-after-1'], new Date().toISOString(), {
      maxAttempts: 1,
    });
    const read = await after.request('GET', '/v1/tasks?limit=1');
    for (const key of after.acknowledged) checker.acknowledged.add(key);

    const service = stack.service;
    let drainMs = 0;
    drainMs = await waitFor(
      'the spool to drain',
      async () => (await service.spoolRecords()) === 0,
      60_000,
      200,
    );
    const count = await countStored(stack.pool, stack.tenantId, 'c6', checker.acknowledged);
    console.log(
      `C6 (${TIER_NAME}): ${terminated} backends terminated in ${rounds} rounds over ${CHURN_MS / 1000} s; ` +
        `${count.acknowledged} records acknowledged (${ackedDuringChurn} by the end of the churn), lost ${count.lost}, duplicated ${count.duplicated}; ` +
        `spool drained ${Math.round(drainMs)} ms after the load; after the churn: ingest ${ingestOk ? '2xx' : 'failed'}, read ${read.status}; ` +
        `statuses ${JSON.stringify(checker.statusCounts())}`,
    );
    assert.ok(terminated > rounds / 2, 'the service had connections to terminate');
    assert.deepEqual(
      { lost: count.lost, duplicated: count.duplicated },
      { lost: 0, duplicated: 0 },
      `lost ${count.lostExamples.join(',')}; duplicated ${count.duplicatedExamples.join(',')}`,
    );
    assert.ok(ingestOk, `ingest after the churn: ${JSON.stringify(after.attempts[0])}`);
    assert.equal(read.status, 200, 'a read after the churn');
    assert.deepEqual(stack.service.crashes, [], 'the service exited on its own');
  } finally {
    for (const c of checkers) c.close();
    await stack?.close();
  }
});
