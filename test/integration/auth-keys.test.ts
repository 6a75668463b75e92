import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { digestApiKey, digestsEqual, formatApiKey, parseApiKey } from '../../src/auth/api-key.js';
import { listApiKeys, revokeApiKey } from '../../src/auth/api-keys.js';
import { guardRedis } from '../../src/resilience/redis-guard.js';
import { createServer } from '../../src/server/create-server.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

describe('API keys over HTTP', () => {
  let h: ServerHarness;
  before(async () => {
    // The key cache off: these tests are about every request reading the key row
    // (test/integration/auth-cache.test.ts covers the cache and its revocation bound).
    h = await startServerHarness({
      limits: { authFailuresPerMinute: 5 },
      env: { SHANNON_AUTH_CACHE_TTL_MS: '0' },
    });
  });
  after(() => h.close());

  it('authenticates a key and names its tenant', async () => {
    const { key, tenantId } = await h.tenantWithKey();
    const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().tenant.id, tenantId);
  });

  it('stores no raw key anywhere in the auth tables', async () => {
    const { key } = await h.tenantWithKey();
    const client = new pg.Client({ connectionString: h.t.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT row_to_json(k)::text AS r FROM auth.api_keys k`);
      assert.ok(rows.length > 0);
      const secret = key.slice(17);
      for (const row of rows) {
        assert.ok(!row.r.includes(key), 'raw key stored');
        assert.ok(!row.r.includes(secret.slice(0, 20)), 'secret part stored');
      }
    } finally {
      await client.end();
    }
  });

  it('with the key cache off, a revoked key gets 401 on its next request', async () => {
    const { key, keyId, tenantId } = await h.tenantWithKey();
    const ok = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    assert.equal(ok.statusCode, 200);
    await revokeApiKey(h.dataLayer.db, keyId);
    const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'UNAUTHENTICATED');
    const keys = await listApiKeys(h.dataLayer.db, tenantId);
    assert.equal(keys[0]?.isActive, false);
    assert.ok(keys[0]?.revokedAt);
  });

  it('with the key cache off, an expired key gets 401 on its next request', async () => {
    const { key, keyId } = await h.tenantWithKey();
    assert.equal((await h.app.inject({ url: '/v1/whoami', headers: { 'x-api-key': key } })).statusCode, 200);
    const client = new pg.Client({ connectionString: h.t.url });
    await client.connect();
    await client.query(`UPDATE auth.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      keyId,
    ]);
    await client.end();
    const res = await h.app.inject({ url: '/v1/whoami', headers: { 'x-api-key': key } });
    assert.equal(res.statusCode, 401);
  });

  it('two different keys in Authorization and X-API-Key are refused, naming the field', async () => {
    const a = await h.tenantWithKey();
    const b = await h.tenantWithKey();
    const both = await h.app.inject({
      url: '/v1/whoami',
      headers: { authorization: `Bearer ${a.key}`, 'x-api-key': b.key },
    });
    assert.equal(both.statusCode, 400, both.body);
    assert.equal(both.json().error.field, 'authorization');
    const same = await h.app.inject({
      url: '/v1/whoami',
      headers: { authorization: `Bearer ${a.key}`, 'x-api-key': a.key },
    });
    assert.equal(same.statusCode, 200, same.body);
  });

  it('a key with a valid checksum and a real prefix but another secret is refused', async () => {
    const { key } = await h.tenantWithKey();
    const prefix = parseApiKey(key)!.prefix;
    const forged = formatApiKey(prefix, randomBytes(32).toString('base64url'));
    assert.ok(parseApiKey(forged), 'the forged key passes the offline format check');
    const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${forged}` } });
    assert.equal(res.statusCode, 401);
  });

  it('malformed keys and bad checksums are refused without a database query', async () => {
    const { key } = await h.tenantWithKey();
    const lookups = async () => {
      const metric = await h.t.metrics.dbQueryDuration.get();
      return metric.values
        .filter((v) => v.metricName?.endsWith('_count') && v.labels['operation'] === 'auth.authenticate')
        .reduce((n, v) => n + v.value, 0);
    };
    const before = await lookups();
    const badChecksum = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [badChecksum, 'sdk_short', key.toUpperCase(), `${key}x`, '']) {
      const res = await h.app.inject({
        url: '/v1/whoami',
        remoteAddress: '10.1.2.3',
        headers: { authorization: `Bearer ${bad}` },
      });
      assert.ok(res.statusCode === 401 || res.statusCode === 429, `${bad}: ${res.statusCode}`);
    }
    assert.equal(await lookups(), before);
    const ok = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    assert.equal(ok.statusCode, 200);
    assert.equal(await lookups(), before + 1, 'a well-formed key costs exactly one lookup');
  });

  it('key digests are compared in constant time on equal-length buffers', () => {
    const d = digestApiKey('a');
    assert.equal(digestsEqual(d, digestApiKey('a')), true);
    assert.equal(digestsEqual(d, digestApiKey('b')), false);
    assert.equal(digestsEqual(d, d.slice(0, 10)), false, 'unequal lengths never throw');
    assert.equal(digestsEqual(d, 'zz'.repeat(32)), false);
  });

  it('a key without the route scope gets 403', async () => {
    const { key } = await h.tenantWithKey({ scopes: ['memory:read'] });
    const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'FORBIDDEN');
  });

  it('failed attempts from one address turn into 429, but a valid key from it still works', async () => {
    const { key } = await h.tenantWithKey();
    const ip = '10.9.8.7';
    const bad = () =>
      h.app.inject({ url: '/v1/whoami', remoteAddress: ip, headers: { authorization: 'Bearer nope' } });
    for (let i = 0; i < 5; i += 1) assert.equal((await bad()).statusCode, 401);
    const blocked = await bad();
    assert.equal(blocked.statusCode, 429);
    assert.equal(blocked.json().error.code, 'RATE_LIMITED');
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    const valid = await h.app.inject({
      url: '/v1/whoami',
      remoteAddress: ip,
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(valid.statusCode, 200, 'a valid key is verified before any refusal');
  });

  it('guessing secrets for a known prefix from many addresses is throttled, the real key is not', async () => {
    const { key } = await h.tenantWithKey();
    const prefix = parseApiKey(key)!.prefix;
    const guess = (i: number) =>
      h.app.inject({
        url: '/v1/whoami',
        remoteAddress: `10.7.0.${i}`,
        headers: { authorization: `Bearer ${formatApiKey(prefix, randomBytes(32).toString('base64url'))}` },
      });
    const statuses: number[] = [];
    for (let i = 1; i <= 7; i += 1) statuses.push((await guess(i)).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
    const real = await h.app.inject({
      url: '/v1/whoami',
      remoteAddress: '10.7.0.1',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(real.statusCode, 200);
  });

  it('enforces the tenant plan limit per hour: at the limit accepted, one beyond 429', async () => {
    const { key } = await h.tenantWithKey({ rateLimitPerHour: 3 });
    for (let i = 0; i < 3; i += 1) {
      const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.statusCode, 200, `request ${i + 1}`);
    }
    const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 429);
    assert.equal(res.json().error.code, 'RATE_LIMITED');
    assert.ok(Number(res.headers['retry-after']) > 0);
  });

  it('with Redis, the tenant budget is shared by every service process', async () => {
    const { key } = await h.tenantWithKey({ rateLimitPerHour: 3 });
    const clients = [new Redis('redis://127.0.0.1:6379'), new Redis('redis://127.0.0.1:6379')];
    const apps = await Promise.all(
      clients.map((redis) => createServer(h.dataLayer, { logger: false, redis: guardRedis(redis) })),
    );
    try {
      const statuses: number[] = [];
      for (const app of [apps[0], apps[1], apps[0], apps[1]]) {
        statuses.push(
          (await app!.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } })).statusCode,
        );
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      for (const app of apps) await app.close();
      for (const redis of clients) await redis.quit();
    }
  });
  it("two keys sharing a prefix (as Shannon's short prefixes do) each authenticate; revoking by that prefix is refused", async () => {
    const { key, keyId, tenantId } = await h.tenantWithKey();
    const prefix = parseApiKey(key)!.prefix;
    // A second key with the same prefix and another secret, stored as Shannon's writer would.
    const twin = formatApiKey(prefix, randomBytes(32).toString('base64url'));
    const client = new pg.Client({ connectionString: h.t.url });
    await client.connect();
    let twinId: string;
    try {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO auth.api_keys (key_hash, key_prefix, tenant_id, name, scopes)
         SELECT $1, $2, $3, 'twin', scopes FROM auth.api_keys WHERE id = $4 RETURNING id`,
        [digestApiKey(twin), prefix, tenantId, keyId],
      );
      twinId = rows[0]!.id;
    } finally {
      await client.end();
    }
    for (const k of [key, twin]) {
      const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${k}` } });
      assert.equal(res.statusCode, 200, res.body);
    }
    const forged = formatApiKey(prefix, randomBytes(32).toString('base64url'));
    const refused = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${forged}` } });
    assert.equal(refused.statusCode, 401);
    await assert.rejects(
      revokeApiKey(h.dataLayer.db, prefix),
      (e: Error & { code?: string }) => e.code === 'CONFLICT',
    );
    await revokeApiKey(h.dataLayer.db, twinId);
    const after = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${twin}` } });
    assert.equal(after.statusCode, 401);
    const still = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    assert.equal(still.statusCode, 200);
  });
});
