/**
 * C4: PostgreSQL frozen (SIGSTOP of every server process: connections stay open, nothing is
 * refused, nothing answers) for 30 s (full) / 10 s (reduced) under HTTP ingest and reads. Every
 * PostgreSQL call has a client-side deadline (PG_QUERY_TIMEOUT_MS), so no HTTP request may take
 * longer than that deadline + 1 s, whatever it answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Checker, runLoad } from './helpers/checker.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { latencySummary, sleep } from './helpers/timing.js';

const DEADLINE_MS = 2_000;
const FREEZE_MS = tier(10_000, 30_000);

test(`C4: PostgreSQL SIGSTOPped ${FREEZE_MS / 1000} s: no request takes longer than its deadline + 1 s`, async () => {
  let stack: Stack | undefined;
  const checkers: Checker[] = [];
  let frozen = false;
  try {
    stack = await startStack({
      env: { PG_QUERY_TIMEOUT_MS: String(DEADLINE_MS), PG_STATEMENT_TIMEOUT_MS: String(DEADLINE_MS) },
    });
    const checker = new Checker({
      baseUrl: stack.service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 15_000,
    });
    checkers.push(checker);
    let stop = false;
    const ingest = runLoad({
      checker,
      prefix: 'c4',
      clients: 2,
      batchRecords: 20,
      stopped: () => stop,
      pauseMs: 20,
    });
    const reads = (async () => {
      while (!stop && !checker.isClosed) {
        await checker.request('GET', '/v1/tasks/c4-workflow');
        await sleep(20);
      }
    })();
    // The key is verified and the pool warm before the fault.
    await sleep(1_500);
    const okBefore = checker.attempts.filter((a) => a.status >= 200 && a.status < 500).length;
    assert.ok(
      okBefore > 0,
      `no request succeeded before the fault: ${JSON.stringify(checker.statusCounts())}`,
    );
    const faultStart = performance.now();
    await stack.cluster.pause();
    frozen = true;
    await sleep(FREEZE_MS);
    await stack.cluster.resume();
    frozen = false;
    const faultEnd = performance.now();
    await sleep(3_000);
    stop = true;
    await Promise.all([ingest, reads]);

    const during = checker.attempts.filter(
      (a) => a.startedAt >= faultStart - DEADLINE_MS && a.startedAt < faultEnd,
    );
    const all = latencySummary(checker.attempts.map((a) => a.ms));
    const fault = latencySummary(during.map((a) => a.ms));
    const slow = checker.attempts.filter((a) => a.ms > DEADLINE_MS + 1_000);
    console.log(
      `C4 (${TIER_NAME}): PostgreSQL frozen ${FREEZE_MS / 1000} s, deadline ${DEADLINE_MS} ms; ${checker.attempts.length} requests, ` +
        `during the freeze ${fault.n} (p50 ${fault.p50} ms, p99 ${fault.p99} ms, max ${fault.max} ms); all: max ${all.max} ms; ` +
        `over ${DEADLINE_MS + 1_000} ms: ${slow.length}; statuses ${JSON.stringify(checker.statusCounts())}`,
    );
    assert.ok(during.length > 10, 'the load kept sending requests during the freeze');
    assert.equal(
      slow.length,
      0,
      `${slow.length} requests took longer than ${DEADLINE_MS + 1_000} ms (slowest ${all.max} ms)`,
    );
    assert.deepEqual(stack.service.crashes, [], 'the service exited on its own');
  } finally {
    for (const c of checkers) c.close();
    if (frozen) await stack?.cluster.resume().catch(() => undefined);
    await stack?.close();
  }
});
