import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { guardRedis } from '../../src/resilience/redis-guard.js';
import { createServer } from '../../src/server/create-server.js';
import { createSessionCache } from '../../src/sessions/session-cache.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

async function archived(
  url: string,
  sessionId: string,
): Promise<Array<{ snapshot_data: { n?: number }; tenant_id: string }>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (
      await client.query(
        `SELECT snapshot_data, tenant_id FROM session_archives WHERE session_id = $1 ORDER BY snapshot_taken_at`,
        [sessionId],
      )
    ).rows;
  } finally {
    await client.end();
  }
}

describe('session state cache', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(() => h.close());

  it('HTTP: write, read, foreign tenant gets 404, delete archives the last state', async () => {
    const a = await h.tenantWithKey();
    const b = await h.tenantWithKey();
    const sid = `s-${randomUUID()}`;
    const put = await h.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${sid}/state`,
      headers: { authorization: `Bearer ${a.key}` },
      payload: { state: { data: { n: 1 }, messageCount: 2 } },
    });
    assert.equal(put.statusCode, 200, put.body);
    const get = await h.app.inject({
      url: `/v1/sessions/${sid}/state`,
      headers: { authorization: `Bearer ${a.key}` },
    });
    assert.equal(get.statusCode, 200);
    assert.deepEqual(get.json().state.data, { n: 1 });
    const foreign = await h.app.inject({
      url: `/v1/sessions/${sid}/state`,
      headers: { authorization: `Bearer ${b.key}` },
    });
    const absent = await h.app.inject({
      url: `/v1/sessions/nope-${sid}/state`,
      headers: { authorization: `Bearer ${b.key}` },
    });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.body, absent.body);
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/v1/sessions/${sid}/state`,
      headers: { authorization: `Bearer ${a.key}` },
    });
    assert.equal(del.statusCode, 204);
    const rows = await archived(h.t.url, sid);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.tenant_id, a.tenantId);
  });

  for (const backend of ['memory', 'redis'] as const) {
    it(`${backend}: TTL expiry snapshots once; periodic snapshots are idempotent per version; hits and misses counted`, async () => {
      const { tenantId } = await h.tenantWithKey();
      let clock = 1_000_000;
      const redis =
        backend === 'redis' ? new Redis('redis://127.0.0.1:6379', { lazyConnect: false }) : undefined;
      const cache = createSessionCache({
        db: h.dataLayer.db,
        metrics: h.t.metrics,
        ...(redis === undefined ? {} : { redis, redisNamespace: `test-${randomUUID()}` }),
        ttlMs: 1_000,
        snapshotIntervalMs: 0,
        now: () => clock,
      });
      try {
        const sid = `s-${randomUUID()}`;
        await cache.set(tenantId, sid, { data: { n: 1 } });
        await cache.sweep();
        await cache.sweep(); // nothing new written: no second snapshot
        assert.equal((await archived(h.t.url, sid)).length, 1);
        await cache.set(tenantId, sid, { data: { n: 2 } });
        assert.equal((await cache.get(tenantId, sid))?.state.data['n'], 2);
        clock += 1_001;
        assert.equal(await cache.get(tenantId, sid), undefined, 'expired entry is a miss');
        await cache.sweep();
        const rows = await archived(h.t.url, sid);
        // periodic snapshot of version 1, then version 2 on expiry (the periodic pass finds it gone)
        assert.deepEqual(
          rows.map((r) => r.snapshot_data.n),
          [1, 2],
        );
        const text = await h.t.metrics.metricsText();
        assert.match(
          text,
          new RegExp(`shannon_sessions_cache_lookups_total\\{backend="${backend}",result="hit"\\} [1-9]`),
        );
        assert.match(
          text,
          new RegExp(
            `shannon_sessions_cache_evictions_total\\{backend="${backend}",reason="expired"\\} [1-9]`,
          ),
        );
      } finally {
        await cache.close();
        await redis?.quit();
      }
    });
  }

  it('memory backend: capacity eviction archives the least recently used session', async () => {
    const { tenantId } = await h.tenantWithKey();
    const cache = createSessionCache({
      db: h.dataLayer.db,
      capacity: 2,
      tenantShare: 1,
      snapshotIntervalMs: 0,
    });
    try {
      const ids = [0, 1, 2].map(() => `s-${randomUUID()}`);
      await cache.set(tenantId, ids[0]!, { data: { n: 0 } });
      await cache.set(tenantId, ids[1]!, { data: { n: 1 } });
      await cache.get(tenantId, ids[0]!); // 0 is now more recent than 1
      await cache.set(tenantId, ids[2]!, { data: { n: 2 } });
      assert.equal(await cache.get(tenantId, ids[1]!), undefined);
      assert.ok(await cache.get(tenantId, ids[0]!));
      assert.equal((await archived(h.t.url, ids[1]!)).length, 1);
    } finally {
      await cache.close();
    }
  });

  for (const backend of ['memory', 'redis'] as const) {
    it(`${backend}: a tenant past its share loses its own least recently written sessions, archived; another tenant's stay`, async () => {
      const victim = (await h.tenantWithKey()).tenantId;
      const noisy = (await h.tenantWithKey()).tenantId;
      const redis =
        backend === 'redis' ? new Redis('redis://127.0.0.1:6379', { lazyConnect: false }) : undefined;
      const cache = createSessionCache({
        db: h.dataLayer.db,
        metrics: h.t.metrics,
        ...(redis === undefined ? {} : { redis, redisNamespace: `test-${randomUUID()}` }),
        maxBytes: 1024 * 1024,
        tenantShare: 0.25,
        snapshotIntervalMs: 0,
      });
      const large = (n: number) => ({ data: { n, blob: 'x'.repeat(64 * 1024 - 64) } });
      try {
        const victimIds = [0, 1].map(() => `s-${randomUUID()}`);
        for (const [i, id] of victimIds.entries()) await cache.set(victim, id, large(i));
        const noisyIds = Array.from({ length: 12 }, () => `s-${randomUUID()}`);
        for (const [i, id] of noisyIds.entries()) await cache.set(noisy, id, large(i));
        for (const id of victimIds)
          assert.ok(await cache.get(victim, id), "the other tenant's session stays");
        const kept = [];
        for (const id of noisyIds) if ((await cache.get(noisy, id)) !== undefined) kept.push(id);
        assert.deepEqual(kept, noisyIds.slice(-4), 'the tenant keeps its newest sessions, within its share');
        for (const [i, id] of noisyIds.slice(0, -4).entries()) {
          const rows = await archived(h.t.url, id);
          assert.deepEqual(
            rows.map((r) => [r.tenant_id, r.snapshot_data.n]),
            [[noisy, i]],
            'a session pushed out is archived once',
          );
        }
        if (redis !== undefined) {
          // The per-tenant counters follow deletes as well as writes.
          await cache.delete(noisy, noisyIds.at(-1)!);
          await cache.sweep();
          const text = await h.t.metrics.metricsText();
          const bytes = Number(/shannon_sessions_cache_bytes\{backend="redis"\} (\d+)/.exec(text)?.[1]);
          const held = [0, 1, 8, 9, 10].map((n) => Buffer.byteLength(JSON.stringify(large(n))));
          assert.equal(
            bytes,
            held.reduce((sum, n) => sum + n, 0),
          );
        }
      } finally {
        await cache.close();
        await redis?.quit();
      }
    });
  }

  it('Redis unreachable: session state answers 503 CACHE_UNAVAILABLE, never 500', async () => {
    const { key } = await h.tenantWithKey();
    // Nothing listens on port 1; commands fail fast instead of queueing.
    const redis = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    const guarded = guardRedis(redis, { metrics: h.t.metrics });
    const sessions = createSessionCache({ db: h.dataLayer.db, metrics: h.t.metrics, redis: guarded });
    const app = await createServer(h.dataLayer, { logger: false, redis: guarded, sessions });
    try {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const res = await app.inject({
          method,
          url: '/v1/sessions/s-down/state',
          headers: { authorization: `Bearer ${key}` },
          ...(method === 'PUT' ? { payload: { state: { data: {} } } } : {}),
        });
        assert.equal(res.statusCode, 503, `${method}: ${res.body}`);
        assert.equal(res.json().error.code, 'CACHE_UNAVAILABLE');
        assert.ok(res.headers['retry-after']);
      }
    } finally {
      await app.close();
      await sessions.close();
      redis.disconnect();
    }
  });
});
