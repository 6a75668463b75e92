import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/auth/api-keys.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

describe('admin endpoints and dashboard', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(() => h.close());

  const WHOLE_DATABASE = [
    '/v1/admin/overview',
    '/v1/admin/tables',
    '/v1/admin/partitions',
    '/v1/admin/doctor',
    '/v1/admin/indexes/advice',
  ];

  it('whole-database endpoints need the operator scope; a tenant admin key gets 403', async () => {
    const plain = await h.tenantWithKey({
      scopes: ['data:read', 'data:write', 'memory:read', 'memory:write'],
    });
    const tenantAdmin = await h.tenantWithKey(); // data scopes + admin, no operator
    for (const key of [plain.key, tenantAdmin.key]) {
      for (const url of WHOLE_DATABASE) {
        const res = await h.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
        assert.equal(res.statusCode, 403, url);
        assert.equal(res.json().error.code, 'FORBIDDEN');
      }
    }
  });

  it('the operator scope is only given by the explicit operator flag', async () => {
    const tenant = await h.tenantWithKey();
    await assert.rejects(
      createApiKey(h.dataLayer.db, {
        tenantId: tenant.tenantId,
        name: 'sneaky',
        scopes: ['admin', 'operator'],
      }),
      { code: 'VALIDATION_FAILED', field: 'scopes' },
    );
    const operator = await createApiKey(h.dataLayer.db, {
      tenantId: tenant.tenantId,
      name: 'ops',
      scopes: ['admin'],
      operator: true,
    });
    assert.deepEqual(operator.scopes, ['admin', 'operator']);
  });

  it("a tenant admin sees its own tenant's figures only", async () => {
    const a = await h.tenantWithKey();
    const b = await h.tenantWithKey();
    const write = (key: string, workflow: string) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/ingest/task_execution',
        headers: { authorization: `Bearer ${key}` },
        payload: { records: [{ workflow_id: workflow, query: 'q', status: 'COMPLETED', total_tokens: 7 }] },
      });
    assert.equal((await write(a.key, 'wf-a-1')).statusCode, 200);
    assert.equal((await write(a.key, 'wf-a-2')).statusCode, 200);
    assert.equal((await write(b.key, 'wf-b-1')).statusCode, 200);
    const figures = async (key: string) => {
      const res = await h.app.inject({
        url: '/v1/admin/tenant',
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    };
    const fa = await figures(a.key);
    const fb = await figures(b.key);
    assert.equal(fa.tenant.id, a.tenantId);
    assert.deepEqual(
      fa.tasks.map((t: { status: string; tasks: number; tokens: number }) => [t.status, t.tasks, t.tokens]),
      [['COMPLETED', 2, 14]],
    );
    assert.deepEqual(
      fb.tasks.map((t: { tasks: number }) => t.tasks),
      [1],
    );
    assert.deepEqual(
      fa.keys.map((k: { prefix: string }) => k.prefix),
      [a.key.slice(4, 16)],
    );
    assert.ok(!JSON.stringify(fa).includes(b.tenantId) && !JSON.stringify(fa).includes('wf-b-1'));
  });

  it('report pool, breakers, write path, partitions and table sizes to an operator key', async () => {
    const { key } = await h.tenantWithKey({ operator: true });
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
    assert.match(res.body, /<script src="\/dashboard\/assets\/dashboard\.js"><\/script>/);
    assert.doesNotMatch(res.body, /sdk_[A-Za-z0-9]{8}/);
    const csp = res.headers['content-security-policy'] as string;
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
  });
});

describe('admin overview with Redis configured', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness({ env: { REDIS_URL: 'redis://127.0.0.1:6379' } });
  });
  after(() => h.close());

  it("lists Redis's breaker beside PostgreSQL's", async () => {
    const { key } = await h.tenantWithKey({ operator: true });
    const res = await h.app.inject({
      url: '/v1/admin/overview',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(
      res.json().breakers.map((b: { name: string }) => b.name),
      ['postgres_primary_write', 'postgres_primary_read', 'redis'],
    );
  });
});
