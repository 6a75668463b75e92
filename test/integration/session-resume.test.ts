/**
 * Sessions resume from their archive: once a session's hot state is gone from the cache (its TTL
 * passed for real, or Redis lost the key), reading it returns the last archived state, through the
 * library (`SessionCache.read`, memory and a real Redis) and through `GET /v1/sessions/:id/state`
 * (`source: "archive"`). A session written again after it left the cache archives its new states
 * (versions start over), so a second resume sees them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createServer } from '../../src/server/create-server.js';
import { createSessionCache, type SessionCache } from '../../src/sessions/session-cache.js';
import { createUser } from '../helpers/database.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe('sessions resume from their archive', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(() => h?.close());

  async function archivedRows(tenantId: string, sessionId: string): Promise<number> {
    const { rows } = await h.t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.session_archives WHERE tenant_id = $1 AND session_id = $2`,
      [tenantId, sessionId],
    );
    return rows[0]!.n;
  }

  for (const backend of ['memory', 'redis'] as const) {
    it(`${backend}: an expired session reads as its last state from the archive, and resumes twice`, async () => {
      const { tenantId } = await h.tenantWithKey();
      const userId = await createUser(h.dataLayer.db, tenantId, `u-${randomUUID()}`);
      const redis = backend === 'redis' ? new Redis(REDIS_URL) : undefined;
      const cache = createSessionCache({
        db: h.dataLayer.db,
        ...(redis === undefined ? {} : { redis, redisNamespace: `test-${randomUUID()}` }),
        snapshotIntervalMs: 0,
      });
      try {
        const sid = `s-${randomUUID()}`;
        const state = {
          data: { history: ['hello', 'hi'], step: 2 },
          userId,
          messageCount: 2,
          totalTokens: 40,
          totalCostUsd: 0.25,
          startedAt: '2026-12-01T10:00:00.000Z',
        };
        await cache.set(tenantId, sid, state, 300);
        assert.equal((await cache.read(tenantId, sid))?.source, 'cache');
        await sleep(400);
        // Expired, not swept yet: the read archives it and answers from the archive.
        const resumed = await cache.read(tenantId, sid);
        assert.equal(resumed?.source, 'archive');
        assert.deepEqual(resumed.state, state);
        assert.equal(await cache.get(tenantId, sid), undefined, 'the hot state stays gone');
        await cache.sweep();
        assert.equal(await archivedRows(tenantId, sid), 1, 'the sweep finds it archived already');

        // Resumed: the session is written again (its versions start over at 1), expires and is swept.
        await cache.set(tenantId, sid, { ...state, data: { ...state.data, step: 3 }, messageCount: 4 }, 300);
        await sleep(400);
        await cache.sweep();
        const again = await cache.read(tenantId, sid);
        assert.equal(again?.source, 'archive');
        assert.deepEqual(again.state.data, { history: ['hello', 'hi'], step: 3 });
        assert.equal(again.state.messageCount, 4);
        assert.equal(await archivedRows(tenantId, sid), 2);
      } finally {
        await cache.close();
        await redis?.quit();
      }
    });
  }

  it('redis: a key Redis lost reads as the last periodic snapshot; a session never archived is absent', async () => {
    const { tenantId } = await h.tenantWithKey();
    const namespace = `test-${randomUUID()}`;
    const redis = new Redis(REDIS_URL);
    const cache = createSessionCache({
      db: h.dataLayer.db,
      redis,
      redisNamespace: namespace,
      snapshotIntervalMs: 0,
    });
    try {
      const sid = `s-${randomUUID()}`;
      await cache.set(tenantId, sid, { data: { n: 1 } });
      await cache.sweep(); // periodic snapshot of { n: 1 }
      await cache.set(tenantId, sid, { data: { n: 2 } });
      assert.equal(await redis.del(`${namespace}:session:${tenantId}:${sid}`), 1);
      const read = await cache.read(tenantId, sid);
      assert.equal(read?.source, 'archive');
      assert.deepEqual(read.state.data, { n: 1 });
      assert.equal(await cache.read(tenantId, `never-${sid}`), undefined);
      const other = (await h.tenantWithKey()).tenantId;
      assert.equal(await cache.read(other, sid), undefined, "another tenant's archive is not read");
    } finally {
      await cache.close();
      await redis.quit();
    }
  });

  describe('HTTP, Redis-backed cache', () => {
    let redis: Redis;
    let sessions: SessionCache;
    let app: FastifyInstance;
    before(async () => {
      redis = new Redis(REDIS_URL);
      sessions = createSessionCache({
        db: h.dataLayer.db,
        redis,
        redisNamespace: `test-${randomUUID()}`,
        snapshotIntervalMs: 0,
      });
      app = await createServer(h.dataLayer, { logger: false, sessions });
    });
    after(async () => {
      await app?.close();
      await sessions?.close();
      await redis?.quit();
    });

    it('GET answers from the archive once the TTL passed, marked source "archive"; 404 for others', async () => {
      const a = await h.tenantWithKey();
      const b = await h.tenantWithKey();
      const sid = `s-${randomUUID()}`;
      const get = (key: string, id = sid) =>
        app.inject({ url: `/v1/sessions/${id}/state`, headers: { authorization: `Bearer ${key}` } });
      const put = await app.inject({
        method: 'PUT',
        url: `/v1/sessions/${sid}/state`,
        headers: { authorization: `Bearer ${a.key}` },
        payload: { state: { data: { turn: 7 }, messageCount: 7 }, ttlSeconds: 1 },
      });
      assert.equal(put.statusCode, 200, put.body);
      const hot = await get(a.key);
      assert.equal(hot.statusCode, 200);
      assert.equal(hot.json().source, 'cache');
      assert.equal(hot.json().version, 1);
      await sleep(1_100);
      const cold = await get(a.key);
      assert.equal(cold.statusCode, 200, cold.body);
      const body = cold.json();
      assert.equal(body.source, 'archive');
      assert.deepEqual(body.state.data, { turn: 7 });
      assert.equal(body.state.messageCount, 7);
      assert.ok(!Number.isNaN(Date.parse(body.archivedAt)));
      assert.equal(body.version, undefined);
      const foreign = await get(b.key);
      const absent = await get(b.key, `nope-${sid}`);
      assert.equal(foreign.statusCode, 404);
      assert.equal(foreign.body, absent.body);
    });

    it('a dropped session (DELETE) reads as its archived last state', async () => {
      const a = await h.tenantWithKey();
      const sid = `s-${randomUUID()}`;
      const headers = { authorization: `Bearer ${a.key}` };
      await app.inject({
        method: 'PUT',
        url: `/v1/sessions/${sid}/state`,
        headers,
        payload: { state: { data: { last: true } } },
      });
      const del = await app.inject({ method: 'DELETE', url: `/v1/sessions/${sid}/state`, headers });
      assert.equal(del.statusCode, 204);
      const res = await app.inject({ url: `/v1/sessions/${sid}/state`, headers });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().source, 'archive');
      assert.deepEqual(res.json().state.data, { last: true });
    });
  });
});
