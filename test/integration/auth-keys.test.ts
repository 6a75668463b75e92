import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { listApiKeys, revokeApiKey } from '../../src/auth/api-keys.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

describe('API keys over HTTP', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness({ limits: { authFailuresPerMinute: 5 } });
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

  it('a revoked key gets 401 on its next request', async () => {
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

  it('an expired key gets 401 on its next request', async () => {
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

  it('a key with a wrong secret but a real prefix is refused', async () => {
    const { key } = await h.tenantWithKey();
    const forged = `${key.slice(0, 20)}${key[20] === 'A' ? 'B' : 'A'}${key.slice(21)}`;
    const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${forged}` } });
    assert.equal(res.statusCode, 401);
  });

  it('a key without the route scope gets 403', async () => {
    const { key } = await h.tenantWithKey({ scopes: ['memory:read'] });
    const res = await h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'FORBIDDEN');
  });

  it('rate-limits failed attempts per client address, even for a then-valid key', async () => {
    const { key } = await h.tenantWithKey();
    const ip = '10.9.8.7';
    for (let i = 0; i < 5; i += 1) {
      const res = await h.app.inject({
        url: '/v1/whoami',
        remoteAddress: ip,
        headers: { authorization: 'Bearer nope' },
      });
      assert.equal(res.statusCode, 401);
    }
    const blocked = await h.app.inject({
      url: '/v1/whoami',
      remoteAddress: ip,
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(blocked.statusCode, 429);
    assert.equal(blocked.json().error.code, 'RATE_LIMITED');
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    const other = await h.app.inject({
      url: '/v1/whoami',
      remoteAddress: '10.9.8.6',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(other.statusCode, 200);
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
});
