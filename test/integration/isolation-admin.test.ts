/**
 * Cross-tenant enumeration of the admin endpoints: tenants A and B each hold a tenant-admin key
 * (`admin` scope, not `operator`) and different amounts of data carrying their own marker. Each
 * calls every /v1/admin/* route the OpenAPI document lists. Pass: every route except the tenant
 * administrator's own (/v1/admin/tenant) answers 403 FORBIDDEN; /v1/admin/tenant shows the
 * caller's figures only — none of the other tenant's id, slug, marker, workflow ids or key
 * prefixes, and counts that are its own. An operator key (a third tenant) gets every route, and
 * its whole-database table figures count both tenants' rows.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createApiKey } from '../../src/auth/api-keys.js';
import { type ServerHarness, startServerHarness, TEST_DIMENSION } from './server-harness.js';

/** Admin routes a tenant administrator may call; every other /v1/admin route is the operator's. */
const TENANT_ADMIN_ROUTES = new Set(['/v1/admin/tenant']);

interface Tenant {
  label: string;
  tenantId: string;
  slug: string;
  key: string;
  secondKey: string;
  marker: string;
  workflowIds: string[];
  sessions: number;
  points: number;
}

const vector = Array.from({ length: TEST_DIMENSION }, (_, i) => (i + 1) / TEST_DIMENSION);

/** A tenant with `n` tasks, `n` sessions and `n` memory points, all carrying its marker. */
async function seed(h: ServerHarness, label: string, n: number): Promise<Tenant> {
  const { tenantId, key, slug } = await h.tenantWithKey({
    scopes: ['data:read', 'data:write', 'memory:read', 'memory:write', 'admin'],
  });
  const second = await createApiKey(h.dataLayer.db, {
    tenantId,
    name: `second-${label}`,
    scopes: ['data:read'],
  });
  const marker = `marker-${label}-${randomUUID()}`;
  const auth = { authorization: `Bearer ${key}` };
  const workflowIds = Array.from({ length: n }, (_, i) => `wf-${label}-${i}-${randomUUID()}`);
  const ingest = await h.app.inject({
    method: 'POST',
    url: '/v1/ingest/task_execution',
    headers: auth,
    payload: {
      records: workflowIds.map((w) => ({
        workflow_id: w,
        query: marker,
        status: 'COMPLETED',
        total_tokens: 10,
      })),
    },
  });
  assert.equal(ingest.statusCode, 200, ingest.body);
  for (let i = 0; i < n; i++) {
    const s = await h.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: auth,
      payload: { externalId: `${marker}-s${i}`, context: { marker } },
    });
    assert.equal(s.statusCode, 201, s.body);
  }
  const up = await h.app.inject({
    method: 'POST',
    url: '/v1/memory/cases/points',
    headers: auth,
    payload: {
      points: Array.from({ length: n }, (_, i) => ({ key: [marker, i], vector, payload: { marker } })),
    },
  });
  assert.equal(up.statusCode, 200, up.body);
  return { label, tenantId, slug, key, secondKey: second.key, marker, workflowIds, sessions: n, points: n };
}

/** Strings of `t` that must never appear in another tenant's answer. */
function secretsOf(t: Tenant): string[] {
  return [t.tenantId, t.slug, t.marker, ...t.workflowIds, t.key.slice(4, 16), t.secondKey.slice(4, 16)];
}

describe('admin endpoints across two tenant-admin keys', () => {
  let h: ServerHarness;
  let a: Tenant;
  let b: Tenant;
  let adminRoutes: string[];
  before(async () => {
    h = await startServerHarness();
    a = await seed(h, 'A', 2);
    b = await seed(h, 'B', 3);
    await h.ingest.flush();
    const doc = (await h.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    adminRoutes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/admin/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
  });
  after(() => h?.close());

  it('a tenant admin gets 403 from every operator route and only its own figures from /v1/admin/tenant', async () => {
    assert.ok(adminRoutes.length >= 6, `only ${adminRoutes.length} admin routes in /openapi.json`);
    assert.ok(
      adminRoutes.every((r) => r.startsWith('GET ')),
      `non-GET admin routes: ${adminRoutes}`,
    );
    let calls = 0;
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const route of adminRoutes) {
        const url = route.slice('GET '.length);
        const res = await h.app.inject({ url, headers: { authorization: `Bearer ${self.key}` } });
        calls += 1;
        for (const secret of secretsOf(other)) {
          assert.ok(!res.body.includes(secret), `${self.label} ${url} shows ${other.label}'s ${secret}`);
        }
        if (!TENANT_ADMIN_ROUTES.has(url)) {
          assert.equal(
            res.statusCode,
            403,
            `${self.label} ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`,
          );
          assert.equal(res.json().error.code, 'FORBIDDEN');
          continue;
        }
        assert.equal(res.statusCode, 200, res.body);
        const f = res.json();
        assert.deepEqual(f.tenant, { id: self.tenantId, slug: self.slug });
        assert.deepEqual(
          f.tasks.map((t: { status: string; tasks: number; tokens: number }) => [
            t.status,
            t.tasks,
            t.tokens,
          ]),
          [['COMPLETED', self.workflowIds.length, 10 * self.workflowIds.length]],
        );
        assert.equal(f.liveSessions, self.sessions);
        assert.deepEqual(f.memoryPoints, { cases: self.points });
        assert.deepEqual(
          f.keys.map((k: { prefix: string }) => k.prefix).sort(),
          [self.key.slice(4, 16), self.secondKey.slice(4, 16)].sort(),
        );
      }
    }
    console.log(
      `admin enumeration: ${calls} calls over ${adminRoutes.length} admin routes by 2 tenant-admin keys`,
    );
  });

  it('an operator key gets every admin route, and its table figures count both tenants', async () => {
    const admin = new pg.Client({ connectionString: h.t.url });
    await admin.connect();
    try {
      // Table figures are the planner's estimates; ANALYZE makes them the row counts.
      await admin.query('ANALYZE public.sessions, public.memory_points');
    } finally {
      await admin.end();
    }
    const operator = await h.tenantWithKey({ operator: true });
    const bodies = new Map<string, string>();
    for (const route of adminRoutes) {
      const url = route.slice('GET '.length);
      const res = await h.app.inject({ url, headers: { authorization: `Bearer ${operator.key}` } });
      assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`);
      bodies.set(url, res.body);
    }
    const tables = JSON.parse(bodies.get('/v1/admin/tables')!).tables as {
      table: string;
      estimatedRows: number;
    }[];
    const rows = (name: string) => tables.find((t) => t.table === name)?.estimatedRows;
    assert.equal(rows('public.sessions'), a.sessions + b.sessions);
    assert.equal(rows('public.memory_points'), a.points + b.points);
    // The operator's own tenant view is still its own tenant's.
    const own = JSON.parse(bodies.get('/v1/admin/tenant')!);
    assert.equal(own.tenant.id, operator.tenantId);
    assert.deepEqual(own.tasks, []);
  });
});
