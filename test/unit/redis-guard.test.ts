/** Redis guard: deadline, breaker opening after the threshold, fast refusals while open (fake timers). */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { type Redis, ReplyError } from 'ioredis';
import { isShannonError } from '../../src/errors/errors.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { RedisGuard } from '../../src/resilience/redis-guard.js';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

/** Lets pending promise callbacks run (setImmediate is not faked). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A client whose commands never answer, as a SIGSTOPped redis-server behaves. */
function frozenClient(): Redis & { disconnected: boolean } {
  const client = {
    status: 'ready',
    disconnected: false,
    quit: () => new Promise(() => undefined),
    disconnect() {
      client.disconnected = true;
      client.status = 'end';
    },
  };
  return client as unknown as Redis & { disconnected: boolean };
}

const hang = () => new Promise<never>(() => undefined);

test('a call that Redis never answers fails with CACHE_UNAVAILABLE at the deadline, not before', async () => {
  const guard = new RedisGuard({ client: frozenClient(), commandTimeoutMs: 500 });
  // A holder, so the assertion on the pending state does not narrow what is read afterwards.
  const seen: { outcome?: unknown } = {};
  void guard.run('test.get', hang).then(
    () => {
      seen.outcome = 'resolved';
    },
    (error: unknown) => {
      seen.outcome = error;
    },
  );
  await settle();
  mock.timers.tick(499);
  await settle();
  assert.equal(seen.outcome, undefined, 'still waiting 1 ms before the deadline');
  mock.timers.tick(1);
  await settle();
  const outcome: unknown = seen.outcome;
  assert.ok(isShannonError(outcome), String(outcome));
  assert.equal(outcome.code, 'CACHE_UNAVAILABLE');
  assert.equal(outcome.details?.['reason'], 'timeout');
});

test('the breaker opens after the threshold; while open calls fail BREAKER_OPEN without reaching Redis; a probe closes it', async () => {
  const metrics = createMetrics();
  const guard = new RedisGuard({
    client: frozenClient(),
    commandTimeoutMs: 500,
    failureThreshold: 3,
    halfOpenAfterMs: 10_000,
    metrics,
  });
  let attempts = 0;
  const failing = () => {
    attempts += 1;
    return Promise.reject(new Error('connect ECONNREFUSED'));
  };
  for (let i = 0; i < 3; i += 1) {
    await assert.rejects(guard.run('test.get', failing), { code: 'CACHE_UNAVAILABLE' });
  }
  assert.equal(guard.breaker.state, 'open');
  assert.match(await metrics.registry.getSingleMetricAsString('shannon_breaker_state'), /breaker="redis"} 2/);

  // While open nothing is sent: a frozen Redis cannot cost the caller its deadline.
  let refusal: unknown;
  void guard.run('test.get', hang).catch((error: unknown) => {
    refusal = error;
  });
  await settle();
  assert.equal(
    (refusal as { code?: string } | undefined)?.code,
    'BREAKER_OPEN',
    'refused without any timer firing',
  );
  assert.equal(attempts, 3);

  mock.timers.tick(10_000);
  assert.equal(await guard.run('test.get', async () => 'PONG'), 'PONG');
  assert.equal(guard.breaker.state, 'closed');
  const durations = await metrics.registry.getSingleMetricAsString('shannon_redis_command_duration_seconds');
  for (const outcome of ['ok', 'error', 'rejected']) {
    assert.match(durations, new RegExp(`_count\\{operation="test.get",outcome="${outcome}"} [1-9]`));
  }
});

test('reply errors (Redis up, command refused) do not open the breaker', async () => {
  const guard = new RedisGuard({ client: frozenClient(), failureThreshold: 2 });
  for (let i = 0; i < 4; i += 1) {
    await assert.rejects(
      guard.run('test.get', () => Promise.reject(new ReplyError('WRONGTYPE wrong kind of value'))),
      { code: 'CACHE_UNAVAILABLE' },
    );
  }
  assert.equal(guard.breaker.state, 'closed');
});

test('close() of an owned client on a frozen Redis drops the connection after the deadline', async () => {
  const client = frozenClient();
  const guard = new RedisGuard({ client, commandTimeoutMs: 500, ownsClient: true });
  let closed = false;
  void guard.close().then(() => {
    closed = true;
  });
  await settle();
  assert.equal(closed, false, 'QUIT is given the deadline');
  mock.timers.tick(500);
  await settle();
  assert.equal(closed, true);
  assert.equal(client.disconnected, true);

  const borrowed = frozenClient();
  await new RedisGuard({ client: borrowed }).close();
  assert.equal(borrowed.disconnected, false, "a caller's client is left to the caller");
});
