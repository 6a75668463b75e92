import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ServerHarness, startServerHarness } from './server-harness.js';

describe('admin endpoints and dashboard', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(() => h.close());

  it('need the admin scope', async () => {
    const { key } = await h.tenantWithKey({
      scopes: ['data:read', 'data:write', 'memory:read', 'memory:write'],
    });
    for (const url of [
      '/v1/admin/overview',
      '/v1/admin/tables',
      '/v1/admin/partitions',
      '/v1/admin/doctor',
      '/v1/admin/indexes/advice',
    ]) {
      const res = await h.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.statusCode, 403, url);
      assert.equal(res.json().error.code, 'FORBIDDEN');
    }
  });

  it('report pool, breakers, write path, partitions and table sizes to an admin key', async () => {
    const { key } = await h.tenantWithKey();
    const auth = { authorization: `Bearer ${key}` };
    const overview = await h.app.inject({ url: '/v1/admin/overview', headers: auth });
    assert.equal(overview.statusCode, 200, overview.body);
    assert.equal(overview.json().pool.max, 10);
    assert.deepEqual(
      overview.json().breakers.map((b: { state: string }) => b.state),
      ['closed', 'closed'],
    );
    assert.equal(overview.json().ingest.state, 'open');
    const tables = await h.app.inject({ url: '/v1/admin/tables', headers: auth });
    assert.equal(tables.statusCode, 200, tables.body);
    assert.ok(
      tables
        .json()
        .tables.some(
          (t: { table: string; partitioned: boolean }) => t.table === 'public.event_logs' && t.partitioned,
        ),
    );
    const partitions = await h.app.inject({ url: '/v1/admin/partitions', headers: auth });
    assert.equal(partitions.statusCode, 200, partitions.body);
    assert.ok(partitions.json().tables.length >= 5);
  });

  it('serves the dashboard page without data and with a restrictive CSP', async () => {
    const res = await h.app.inject({ url: '/dashboard' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.body, /\/v1\/admin\/overview/);
    assert.match(res.headers['content-security-policy'] as string, /default-src 'self'/);
  });
});
