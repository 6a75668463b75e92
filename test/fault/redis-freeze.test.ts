/**
 * A Redis that accepts connections and never answers (a test-owned redis-server paused with
 * SIGSTOP) must not hold requests: authenticated routes answer normally within the Redis deadline
 * plus 1 s (rate limits counted in-process), session state answers 503 CACHE_UNAVAILABLE with
 * Retry-After within the same bound, the embedding cache misses, the app and the data layer close
 * within a few seconds, and after SIGCONT and the breaker's half-open delay Redis serves again.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { EmbeddingCache } from '../../src/memory/embedder/embedding-cache.js';
import { DEFAULT_BREAKER_HALF_OPEN_AFTER_MS } from '../../src/resilience/policies.js';
import { createServer } from '../../src/server/create-server.js';
import { freePort } from '../helpers/free-port.js';
import { type ServerHarness, startServerHarness } from '../integration/server-harness.js';

const DEADLINE_MS = 500;
/** The acceptance bound of one request while Redis is frozen. */
const ANSWER_BOUND_MS = DEADLINE_MS + 1_000;
const CLOSE_BOUND_MS = 5_000;

/** Resolves with the value and its latency, or fails the test when `bound` passes first. */
async function within<T>(boundMs: number, what: string, work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new assert.AssertionError({ message: `${what}: no answer within ${boundMs} ms` })),
      boundMs,
    );
  });
  try {
    const value = await Promise.race([work, late]);
    return { value, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output}`));
    });
  });
}

describe('frozen Redis (SIGSTOP)', { timeout: 60_000 }, () => {
  let redis: ChildProcess;
  let h: ServerHarness;
  let harnessClosed = false;
  let key: string;
  let limitedKey: string;

  const auth = (k: string) => ({ authorization: `Bearer ${k}` });
  const call = (app: FastifyInstance, what: string, options: InjectOptions) =>
    within<LightMyRequestResponse>(ANSWER_BOUND_MS, what, app.inject(options));
  const breakerState = async () =>
    /shannon_breaker_state\{breaker="redis"} (\d)/.exec(await h.t.metrics.metricsText())?.[1];

  before(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    h = await startServerHarness({
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT_MS: String(DEADLINE_MS) },
    });
    key = (await h.tenantWithKey()).key;
    limitedKey = (await h.tenantWithKey({ rateLimitPerHour: 2 })).key;
  });

  after(async () => {
    if (redis !== undefined && redis.exitCode === null) {
      redis.kill('SIGCONT');
      redis.kill('SIGKILL');
    }
    // Bounded, so a shutdown that hangs on Redis fails the run instead of holding it.
    if (h !== undefined && !harnessClosed)
      await within(CLOSE_BOUND_MS, 'harness close (cleanup)', h.close()).catch(() => undefined);
  });

  it('requests answer within the deadline + 1 s; session state is 503 CACHE_UNAVAILABLE; an app closes', async () => {
    const stateUrl = '/v1/sessions/s-frozen/state';
    const put = await call(h.app, 'PUT session (healthy)', {
      method: 'PUT',
      url: stateUrl,
      headers: auth(key),
      payload: { state: { data: { n: 1 } } },
    });
    assert.equal(put.value.statusCode, 200, put.value.body);
    const spare = await createServer(h.dataLayer, { logger: false });
    await spare.ready();
    assert.equal(
      (await call(spare, 'GET task (healthy)', { url: '/v1/tasks/wf-1', headers: auth(key) })).value
        .statusCode,
      404,
    );

    redis.kill('SIGSTOP');
    const latencies: Record<string, number[]> = { task: [], session: [], embedding: [] };
    for (let i = 0; i < 3; i += 1) {
      const res = await call(h.app, `GET task #${i + 1}`, { url: '/v1/tasks/wf-1', headers: auth(key) });
      assert.equal(res.value.statusCode, 404, res.value.body);
      latencies['task']!.push(res.ms);
    }

    const cache = new EmbeddingCache({ redis: h.dataLayer.redis!, prefix: 'test:frozen:' });
    const lookup = await within(ANSWER_BOUND_MS, 'embedding cache lookup', cache.getMany(['k1', 'k2']));
    assert.deepEqual(lookup.value, [undefined, undefined], 'a frozen Redis reads as misses');
    latencies['embedding']!.push(lookup.ms);

    for (let round = 0; round < 2; round += 1) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        // A command that missed its deadline still runs once Redis resumes, so the deletes go to
        // another session: the one written above must survive the freeze.
        const res = await call(h.app, `${method} session state`, {
          method,
          url: method === 'DELETE' ? '/v1/sessions/s-other/state' : stateUrl,
          headers: auth(key),
          ...(method === 'PUT' ? { payload: { state: { data: { n: 2 } } } } : {}),
        });
        assert.equal(res.value.statusCode, 503, `${method}: ${res.value.body}`);
        assert.equal(res.value.json().error.code, 'CACHE_UNAVAILABLE');
        assert.ok(Number(res.value.headers['retry-after']) >= 1, 'Retry-After is set');
        latencies['session']!.push(res.ms);
      }
    }
    assert.equal(await breakerState(), '2', 'the redis breaker is open');

    // The tenant's hourly budget still holds while Redis is away: counted in-process.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push(
        (await call(h.app, `limited GET #${i + 1}`, { url: '/v1/tasks/wf-1', headers: auth(limitedKey) }))
          .value.statusCode,
      );
    }
    assert.deepEqual(statuses, [404, 404, 429]);

    const closed = await within(CLOSE_BOUND_MS, 'app.close()', spare.close());
    const max = (xs: number[]) => Math.max(...xs).toFixed(0);
    console.log(
      `redis-freeze: task GET max ${max(latencies['task']!)} ms, embedding lookup ${max(latencies['embedding']!)} ms, ` +
        `session state max ${max(latencies['session']!)} ms (${latencies['session']!.map((ms) => ms.toFixed(0)).join(', ')}), ` +
        `app.close ${closed.ms.toFixed(0)} ms (deadline ${DEADLINE_MS} ms)`,
    );
  });

  it('after SIGCONT and the half-open delay, session state is served from Redis again', async () => {
    redis.kill('SIGCONT');
    const resumed = performance.now();
    const giveUp = resumed + DEFAULT_BREAKER_HALF_OPEN_AFTER_MS + 5_000;
    let status = 0;
    while (performance.now() < giveUp) {
      const res = await call(h.app, 'GET session state (resumed)', {
        url: '/v1/sessions/s-frozen/state',
        headers: auth(key),
      });
      status = res.value.statusCode;
      if (status !== 503) {
        assert.equal(status, 200, res.value.body);
        assert.deepEqual(res.value.json().state.data, { n: 1 }, 'the state written before the freeze');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(status, 200, 'session state recovered');
    assert.equal(await breakerState(), '0', 'the redis breaker closed again');
    console.log(`redis-freeze: served again ${(performance.now() - resumed).toFixed(0)} ms after SIGCONT`);
  });

  it('shutdown (app, then data layer) with a frozen Redis finishes within a few seconds', async () => {
    redis.kill('SIGSTOP');
    const closed = await within(CLOSE_BOUND_MS, 'harness close', h.close());
    harnessClosed = true;
    console.log(`redis-freeze: shutdown with frozen Redis ${closed.ms.toFixed(0)} ms`);
  });
});
