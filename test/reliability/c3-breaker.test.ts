/**
 * C3: PostgreSQL blackholed (the proxy accepts and holds everything, answers nothing) under HTTP
 * load of ingest, reads and session creation, at least five callers per breaker so that five
 * failures arrive within one deadline. The PostgreSQL breakers (5 consecutive infrastructure
 * failures, half-open after 10 s: src/resilience/policies.ts) must
 * - open within their window: the first calls fail at the query deadline, so within two deadlines
 *   plus 1 s of the fault;
 * - while open, answer rejected calls (503 BREAKER_OPEN) in < 100 ms, measured by the client;
 * - when half-open, let exactly one probe through: between two snapshots of /metrics taken while
 *   open, the calls attempted on PostgreSQL (shannon_db_query_duration_seconds_count, outcome other
 *   than rejected) equal the half-open transitions (shannon_breaker_transitions_total{to="half-open"});
 * - close after recovery (within half-open delay + deadline + 3 s), and requests succeed again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Checker, runLoad } from './helpers/checker.js';
import { metricValue } from './helpers/service.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME } from './helpers/tiers.js';
import { latencySummary, sleep, waitFor } from './helpers/timing.js';

const DEADLINE_MS = 2_000;
/** DEFAULT_BREAKER_HALF_OPEN_AFTER_MS; the service has no setting for it. */
const HALF_OPEN_AFTER_MS = 10_000;
const BREAKERS = ['postgres_primary_write', 'postgres_primary_read'] as const;

test('C3: PostgreSQL blackholed under load: the breaker opens in its window, rejects in < 100 ms, one probe half-open, closes after recovery', async () => {
  let stack: Stack | undefined;
  const checkers: Checker[] = [];
  try {
    stack = await startStack({
      pgProxy: true,
      env: {
        PG_QUERY_TIMEOUT_MS: String(DEADLINE_MS),
        PG_STATEMENT_TIMEOUT_MS: String(DEADLINE_MS),
      },
    });
    const service = stack.service;
    const proxy = stack.pgProxy as NonNullable<Stack['pgProxy']>;
    const checker = new Checker({
      baseUrl: service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 15_000,
      maxRetryAfterMs: 500,
    });
    checkers.push(checker);
    let stop = false;
    const ingest = runLoad({
      checker,
      prefix: 'c3',
      clients: 2,
      batchRecords: 10,
      stopped: () => stop,
      pauseMs: 50,
    });
    // Reads go through the read breaker; creating a session is a write transaction that, unlike
    // ingest, has no spool to fall back on, so it keeps the write breaker exercised.
    const reads = Promise.all(
      [0, 1, 2, 3, 4].map(async () => {
        while (!stop && !checker.isClosed) {
          await checker.request('GET', '/v1/tasks/c3-workflow');
          await sleep(30);
        }
      }),
    );
    const sessionWrites = Promise.all(
      [0, 1, 2].map(async () => {
        while (!stop && !checker.isClosed) {
          await checker.request('POST', '/v1/sessions', JSON.stringify({ externalId: 'c3-session' }));
          await sleep(30);
        }
      }),
    );
    await sleep(1_500);
    assert.ok(
      checker.attempts.some((a) => a.status === 200 || a.status === 404),
      'requests succeeded before the fault',
    );

    const metrics = async () => service.metricsText();
    const state = (text: string, breaker: string) => metricValue(text, 'shannon_breaker_state', { breaker });
    const transitions = (text: string, to: string) =>
      BREAKERS.reduce(
        (sum, breaker) =>
          sum + (metricValue(text, 'shannon_breaker_transitions_total', { breaker, to }) ?? 0),
        0,
      );
    const attempted = (text: string) => {
      const all = metricValue(text, 'shannon_db_query_duration_seconds_count', { pool: 'primary' }) ?? 0;
      const rejected =
        metricValue(text, 'shannon_db_query_duration_seconds_count', {
          pool: 'primary',
          outcome: 'rejected',
        }) ?? 0;
      return all - rejected;
    };

    const faultAt = performance.now();
    proxy.blackhole();
    let openAfterMs: number | undefined;
    try {
      openAfterMs = await waitFor(
        'both PostgreSQL breakers to open',
        async () => {
          const text = await metrics();
          return BREAKERS.every((b) => state(text, b) === 2);
        },
        2 * DEADLINE_MS + 1_000,
        50,
      );
    } catch {
      openAfterMs = undefined;
    }
    const openedAt = performance.now();
    // Calls started before the breakers opened end by their deadline; count from after that.
    await sleep(DEADLINE_MS + 500);
    const a = await metrics();
    const opensAtA = transitions(a, 'open');
    // One half-open period of each breaker: it admits a probe, the probe times out, it opens again.
    await waitFor(
      'each breaker to go half-open and open again',
      async () => {
        const text = await metrics();
        return (
          transitions(text, 'half-open') - transitions(a, 'half-open') >= BREAKERS.length &&
          transitions(text, 'open') - opensAtA >= BREAKERS.length &&
          BREAKERS.every((b) => state(text, b) === 2)
        );
      },
      HALF_OPEN_AFTER_MS + 2 * DEADLINE_MS + 5_000,
      50,
    );
    await sleep(DEADLINE_MS + 500);
    const b = await metrics();
    const halfOpens = transitions(b, 'half-open') - transitions(a, 'half-open');
    const probes = attempted(b) - attempted(a);
    const openEnd = performance.now();

    proxy.restore();
    const recoveredAt = performance.now();
    let closedAfterMs: number | undefined;
    try {
      closedAfterMs = await waitFor(
        'both breakers to close',
        async () => {
          const text = await metrics();
          return BREAKERS.every((br) => state(text, br) === 0);
        },
        HALF_OPEN_AFTER_MS + DEADLINE_MS + 3_000,
        100,
      );
    } catch {
      closedAfterMs = undefined;
    }
    await sleep(1_500);
    const afterRecovery = checker.attempts.filter((x) => x.startedAt > performance.now() - 1_000);
    stop = true;
    await Promise.all([ingest, reads, sessionWrites]);

    const rejected = checker.attempts.filter((x) => x.code === 'BREAKER_OPEN');
    const rejectedWhileOpen = checker.attempts.filter(
      (x) => x.startedAt >= openedAt && x.startedAt < openEnd && x.code === 'BREAKER_OPEN',
    );
    const slowRejections = rejected.filter((x) => x.ms >= 100);
    const rej = latencySummary(rejected.map((x) => x.ms));
    const okAfter = afterRecovery.filter((x) => x.status === 200 || x.status === 201 || x.status === 404);
    console.log(
      `C3 (${TIER_NAME}): deadline ${DEADLINE_MS} ms; breakers open ${openAfterMs === undefined ? 'NOT within the window' : `${Math.round(openAfterMs)} ms`} after the blackhole; ` +
        `${rejected.length} requests rejected BREAKER_OPEN (${rejectedWhileOpen.length} while open), latency p50 ${rej.p50} ms, p99 ${rej.p99} ms, max ${rej.max} ms, ${slowRejections.length} ≥ 100 ms; ` +
        `half-open transitions ${halfOpens}, calls attempted meanwhile ${probes}; ` +
        `closed ${closedAfterMs === undefined ? 'NOT within the bound' : `${Math.round(closedAfterMs)} ms`} after recovery; ` +
        `after recovery ${okAfter.length}/${afterRecovery.length} requests succeeded; fault lasted ${Math.round(recoveredAt - faultAt)} ms; ` +
        `statuses ${JSON.stringify(checker.statusCounts())}; slowest rejections ` +
        JSON.stringify(
          slowRejections
            .slice(0, 5)
            .map(
              (x) =>
                `${x.method} ${x.path} at +${Math.round(x.startedAt - faultAt)} ms took ${Math.round(x.ms)} ms`,
            ),
        ),
    );
    assert.ok(
      openAfterMs !== undefined,
      `the breakers did not both open within ${2 * DEADLINE_MS + 1_000} ms`,
    );
    assert.ok(rejectedWhileOpen.length > 0, 'requests were rejected while the breakers were open');
    assert.equal(slowRejections.length, 0, `rejections taking ≥ 100 ms: slowest ${rej.max} ms`);
    assert.ok(halfOpens >= BREAKERS.length, 'each breaker went half-open');
    assert.equal(
      probes,
      halfOpens,
      'calls attempted on PostgreSQL while open/half-open = one probe per half-open',
    );
    assert.ok(closedAfterMs !== undefined, 'the breakers closed after recovery');
    assert.ok(
      afterRecovery.length > 0 && okAfter.length === afterRecovery.length,
      'requests succeed after recovery',
    );
    assert.deepEqual(service.crashes, [], 'the service exited on its own');
  } finally {
    for (const c of checkers) c.close();
    stack?.pgProxy?.restore();
    await stack?.close();
  }
});
