/**
 * C7: Redis frozen (SIGSTOP of the test-owned redis-server: connections stay open, nothing
 * answers) for 30 s (full) / 10 s (reduced) with REDIS_URL set, under HTTP load that uses Redis on
 * every /v1 request (rate-limit counters) and for hot session state (PUT/GET
 * /v1/sessions/:id/state). Every Redis command has a deadline (REDIS_COMMAND_TIMEOUT_MS), and
 * PostgreSQL stays healthy, so no HTTP request may take longer than that deadline + 1 s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Checker, runLoad } from './helpers/checker.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { latencySummary, sleep } from './helpers/timing.js';

const REDIS_DEADLINE_MS = 500;
const FREEZE_MS = tier(10_000, 30_000);

test(`C7: Redis SIGSTOPped ${FREEZE_MS / 1000} s: no request takes longer than the Redis deadline + 1 s`, async () => {
  let stack: Stack | undefined;
  const checkers: Checker[] = [];
  let frozen = false;
  try {
    stack = await startStack({ redis: true, env: { REDIS_COMMAND_TIMEOUT_MS: String(REDIS_DEADLINE_MS) } });
    const redis = stack.redis as NonNullable<Stack['redis']>;
    const checker = new Checker({
      baseUrl: stack.service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 15_000,
    });
    checkers.push(checker);
    let stop = false;
    const ingest = runLoad({
      checker,
      prefix: 'c7',
      clients: 1,
      batchRecords: 10,
      stopped: () => stop,
      pauseMs: 30,
    });
    const sessions = Promise.all(
      [0, 1].map(async (c) => {
        for (let i = 0; !stop && !checker.isClosed; i += 1) {
          const path = `/v1/sessions/c7-session-${c}/state`;
          await checker.request(
            'PUT',
            path,
            JSON.stringify({ state: { data: { step: i } }, ttlSeconds: 600 }),
          );
          await checker.request('GET', path);
          await sleep(30);
        }
      }),
    );
    const reads = (async () => {
      while (!stop && !checker.isClosed) {
        await checker.request('GET', '/v1/tasks/c7-workflow');
        await sleep(30);
      }
    })();
    await sleep(1_500);
    const okBefore = checker.attempts.filter((a) => a.status === 200).length;
    assert.ok(
      okBefore > 0,
      `no request succeeded before the fault: ${JSON.stringify(checker.statusCounts())}`,
    );
    const faultStart = performance.now();
    redis.pause();
    frozen = true;
    await sleep(FREEZE_MS);
    redis.resume();
    frozen = false;
    const faultEnd = performance.now();
    await sleep(2_000);
    stop = true;
    await Promise.all([ingest, sessions, reads]);

    const bound = REDIS_DEADLINE_MS + 1_000;
    const during = checker.attempts.filter((a) => a.startedAt >= faultStart && a.startedAt < faultEnd);
    const slow = checker.attempts.filter((a) => a.ms > bound);
    const fault = latencySummary(during.map((a) => a.ms));
    const byRoute: Record<string, number> = {};
    for (const a of slow) {
      const route = `${a.method} ${a.path.replace(/c7-session-\d/, ':id')} ${a.status}`;
      byRoute[route] = (byRoute[route] ?? 0) + 1;
    }
    console.log(
      `C7 (${TIER_NAME}): Redis frozen ${FREEZE_MS / 1000} s, REDIS_COMMAND_TIMEOUT_MS ${REDIS_DEADLINE_MS}; ${checker.attempts.length} requests, ` +
        `during the freeze ${fault.n} (p50 ${fault.p50} ms, p99 ${fault.p99} ms, max ${fault.max} ms); over ${bound} ms: ${slow.length} ${JSON.stringify(byRoute)}; ` +
        `statuses ${JSON.stringify(checker.statusCounts())}`,
    );
    assert.ok(during.length > 0, 'requests were sent during the freeze');
    assert.equal(slow.length, 0, `${slow.length} requests took longer than ${bound} ms`);
    assert.deepEqual(stack.service.crashes, [], 'the service exited on its own');
  } finally {
    for (const c of checkers) c.close();
    if (frozen) stack?.redis?.resume();
    await stack?.close();
  }
});
