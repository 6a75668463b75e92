/**
 * Adopting Shannon Data under a running Shannon (docs/shannon-compat.md), with Shannon's own
 * migrations and statements (test/fixtures/shannon):
 * - Shannon's statements on a database migrated by Shannon Data, written through a role bound by
 *   `adopt legacy-role`: every statement that works on Shannon's schema works here, except the
 *   ones docs/shannon-compat.md lists with their replacement (and the list is exactly those);
 * - `adopt shannon --apply` on a database built by Shannon's migrations and filled by Shannon's
 *   statements plus bulk history: every row kept (counts and checksums per table), a refused row
 *   stops the run by name and the next run resumes, Shannon Data's invariants hold after, and
 *   Shannon's statements work on the result as on a fresh database.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isShannonError } from '../../src/errors/errors.js';
import { type AdoptReport, adoptShannon, adoptState, bindLegacyRole } from '../../src/ops/adopt-shannon.js';
import { HOT_QUERIES, pickHotQuerySample } from '../../src/stores/hot-queries.js';
import { planScans } from '../../src/stores/plan-scans.js';
import { SHANNON_STATEMENTS } from '../fixtures/shannon/statements.js';
import { createTenant, createTestDatabase, databaseUrl, type TestDatabase } from '../helpers/database.js';
import {
  applyShannonMigrations,
  runShannonStatements,
  type ShannonStatementResult,
} from '../helpers/shannon.js';

/** Shannon's default tenant (its migration 003 creates it). */
const SHANNON_TENANT = '00000000-0000-0000-0000-000000000001';
const COMPAT_DOC = readFileSync(new URL('../../docs/shannon-compat.md', import.meta.url), 'utf8');

/** Statement ids docs/shannon-compat.md lists as not running unchanged (its `| \`id\` |` rows). */
const listedInDoc = () => [...COMPAT_DOC.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1]!).sort();

/** A login role for Shannon's services on `t`, dropped with it. */
async function shannonRole(t: TestDatabase): Promise<{ role: string; drop: () => Promise<void> }> {
  const role = `${t.name}_svc`;
  await t.db.query(`CREATE ROLE ${role} LOGIN`);
  return {
    role,
    drop: async () => {
      await t.db.query(`DROP OWNED BY ${role}`).catch(() => undefined);
      await t.db.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    },
  };
}

/** Runs the corpus as `role` and returns its results and the writes/reads that worked. */
async function runAs(t: TestDatabase, role: string) {
  const url = new URL(databaseUrl(t.name));
  url.username = role;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const results = await runShannonStatements(client);
    const counted = (kind: string) => {
      const expected = results.filter(
        (r) => r.kind === kind && SHANNON_STATEMENTS.find((s) => s.id === r.id)?.brokenOnShannon !== true,
      );
      return { ok: expected.filter((r) => r.ok).length, of: expected.length };
    };
    return { results, writes: counted('write'), reads: counted('read') };
  } finally {
    await client.end();
  }
}

/** Failures of statements that work on Shannon's own schema (its own mistakes left out). */
const failures = (results: ShannonStatementResult[]) =>
  results.filter((r) => !r.ok && SHANNON_STATEMENTS.find((s) => s.id === r.id)?.brokenOnShannon !== true);
const failingIds = (results: ShannonStatementResult[]) =>
  failures(results)
    .map((r) => r.id)
    .sort();

describe("Shannon's statements on a database migrated by Shannon Data", () => {
  let t: TestDatabase;
  let role: Awaited<ReturnType<typeof shannonRole>>;

  before(async () => {
    t = await createTestDatabase();
    role = await shannonRole(t);
  });
  after(async () => {
    await role?.drop();
    await t?.drop();
  });

  it('without a tenant binding, a write that names no tenant is refused naming tenant_id', async () => {
    const url = new URL(databaseUrl(t.name));
    url.username = role.role;
    await bindLegacyRole(t.db, role.role, await createTenant(t.db));
    await t.db.query(`ALTER ROLE ${role.role} IN DATABASE ${t.name} RESET shannon.default_tenant_id`);
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await assert.rejects(
        client.query(
          `INSERT INTO token_usage (provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd)
           VALUES ('openai', 'gpt-4o', 1, 1, 2, 0)`,
        ),
        (e: Error & { code?: string }) =>
          e.code === '23502' && /tenant_id.*shannon\.default_tenant_id/.test(e.message),
      );
    } finally {
      await client.end();
    }
  });

  it('run unchanged through a bound role, except those docs/shannon-compat.md lists', async () => {
    const tenant = await createTenant(t.db);
    await bindLegacyRole(t.db, role.role, tenant, { uniqueExternalIds: true });
    const { results, writes, reads } = await runAs(t, role.role);
    console.log(`fresh Shannon Data: writes_ok=${writes.ok}/${writes.of} reads_ok=${reads.ok}/${reads.of}`);
    assert.deepEqual(
      failures(results)
        .filter((r) => !listedInDoc().includes(r.id))
        .map((r) => `${r.id}: ${r.code} ${r.error}`),
      [],
      'statements that fail and are not listed in docs/shannon-compat.md',
    );
    assert.deepEqual(failingIds(results), listedInDoc(), 'the doc lists exactly the statements that fail');
    assert.equal(reads.ok, reads.of);
    // Rows Shannon wrote without a tenant took their user's, or else the bound one; keys were derived.
    const { rows } = await t.db.query<{ tenant_id: string; expected: string; idempotency_key: string }>(
      `SELECT tu.tenant_id, coalesce(u.tenant_id, $1) AS expected, tu.idempotency_key
         FROM public.token_usage tu LEFT JOIN public.users u ON u.id = tu.user_id`,
      [tenant],
    );
    assert.ok(rows.length > 0);
    for (const r of rows) {
      assert.equal(r.tenant_id, r.expected);
      assert.match(r.idempotency_key, /^legacy:/);
    }
    // The session Shannon created is found by its external id in both places.
    const sessions = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.sessions WHERE external_id IS NOT NULL AND external_id = context->>'external_id'`,
    );
    assert.ok(sessions.rows[0]!.n > 0);
  });
});

describe('adopt shannon on a database built by Shannon', () => {
  let t: TestDatabase;
  let client: pg.Client;
  let role: Awaited<ReturnType<typeof shannonRole>>;
  let counts: Map<string, number>;
  let report: AdoptReport;
  let refusedId: string;

  const count = async (relation: string) =>
    Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${relation}`)).rows[0]!.n);

  before(async () => {
    t = await createTestDatabase({ migrate: false });
    client = new pg.Client({ connectionString: t.url });
    await client.connect();
    await applyShannonMigrations(client);
    // History as Shannon's writers leave it: no tenant on most rows, the workflow id in
    // agent_executions.task_id, NULL metadata, rows a year and more old, a second tenant. (The
    // corpus itself runs on the result, last: its fixed ids must not be taken by then.)
    await client.query(`
      INSERT INTO auth.tenants (id, name, slug) VALUES ('cccccccc-0000-4000-8000-000000000001', 'Second', 'second');
      INSERT INTO users (id, external_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'bulk-user');
      INSERT INTO sessions (id, user_id, context)
        SELECT ('bbbbbbbb-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'aaaaaaaa-0000-4000-8000-000000000001',
               jsonb_build_object('external_id', 'bulk-session-' || i)
          FROM generate_series(1, 20) i;
      INSERT INTO task_executions (workflow_id, user_id, session_id, query, status, started_at, completed_at,
                                   total_tokens, total_cost_usd, metadata)
        SELECT 'bulk-wf-' || i, 'aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-' || lpad((1 + i % 20)::text, 12, '0'),
               'query ' || i, CASE WHEN i % 7 = 0 THEN 'FAILED' ELSE 'COMPLETED' END,
               now() - (i * interval '1 day'), now() - (i * interval '1 day') + interval '30 seconds',
               i * 10, i * 0.001, NULL
          FROM generate_series(1, 400) i;
      INSERT INTO agent_executions (agent_id, input, workflow_id, task_id, metadata, created_at)
        SELECT 'agent-' || (i % 3), 'input', 'bulk-wf-' || i, 'bulk-wf-' || i, NULL, now() - (i * interval '1 day')
          FROM generate_series(1, 400) i;
      INSERT INTO token_usage (user_id, task_id, provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, created_at)
        SELECT user_id, id, 'openai', 'gpt-4o', 10, 5, 15, 0.001, started_at FROM task_executions WHERE workflow_id LIKE 'bulk-wf-%';
      INSERT INTO event_logs (workflow_id, type, message, seq, timestamp, created_at)
        SELECT 'bulk-wf-' || (1 + i % 400), 'AGENT_THINKING', 'm' || i, i, now() - (i * interval '1 hour'), now() - (i * interval '1 hour')
          FROM generate_series(1, 1000) i;
    `);
    // A row our schema refuses (negative tokens; Shannon has no CHECK), in a table copied late.
    const refused = await client.query<{ id: string }>(
      `INSERT INTO token_usage (provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd)
       VALUES ('openai', 'gpt-4o', -1, 0, 0, 0) RETURNING id`,
    );
    refusedId = refused.rows[0]!.id;
    counts = new Map();
    for (const name of [
      'users',
      'sessions',
      'task_executions',
      'agent_executions',
      'token_usage',
      'event_logs',
    ])
      counts.set(`public.${name}`, await count(`public.${name}`));
    for (const name of ['tenants', 'users', 'api_keys', 'audit_logs'])
      counts.set(`auth.${name}`, await count(`auth.${name}`));
    role = await shannonRole(t);
  });
  after(async () => {
    await client?.end();
    await role?.drop();
    await t?.drop();
  });

  it('dry run: reports the rows and changes nothing; several tenants need --default-tenant', async () => {
    await assert.rejects(
      adoptShannon(t.db, {}),
      (e: unknown) => isShannonError(e) && e.field === 'default-tenant',
    );
    const dry = await adoptShannon(t.db, { defaultTenant: SHANNON_TENANT });
    assert.equal(dry.applied, false);
    assert.equal(
      dry.tables.find((r) => r.target === 'public.task_executions')?.shannonRows,
      counts.get('public.task_executions'),
    );
    assert.equal(await adoptState(t.db), 'shannon');
  });

  it('a row our schema refuses stops the run naming it; after the fix the run resumes and keeps every row', async () => {
    await assert.rejects(
      adoptShannon(t.db, { apply: true, defaultTenant: SHANNON_TENANT, batchSize: 64 }),
      (e: unknown) =>
        isShannonError(e) &&
        e.code === 'ADOPT_ROW_REFUSED' &&
        e.message.includes(refusedId) &&
        e.message.includes('shannon_legacy.token_usage'),
    );
    assert.equal(await adoptState(t.db), 'in_progress');
    // What was copied before the refusal stays, once.
    assert.equal(await count('public.task_executions'), counts.get('public.task_executions'));
    await client.query(`UPDATE shannon_legacy.token_usage SET prompt_tokens = 0 WHERE id = $1`, [refusedId]);
    report = await adoptShannon(t.db, {
      apply: true,
      batchSize: 64,
      legacyRole: role.role,
      uniqueExternalIds: true,
    });
    assert.equal(report.state, 'adopted');
    for (const table of report.tables) {
      assert.equal(table.match, true, `${table.target}: ${JSON.stringify(table)}`);
      assert.equal(table.adoptedRows, table.shannonRows, table.target);
    }
    for (const [relation, n] of counts) {
      const row = report.tables.find((r) => r.target === relation);
      assert.equal(row?.shannonRows, n, relation);
      assert.equal(await count(relation), n, `${relation} after adoption`);
    }
    console.log(
      `adopt: ${report.tables
        .filter((r) => r.shannonRows > 0)
        .map((r) => `${r.target} ${r.adoptedRows}/${r.shannonRows}`)
        .join(
          ', ',
        )}; aggregates rebuilt ${report.aggregates.rebuiltRows} (Shannon ${report.aggregates.shannonRows})`,
    );
    // Tenants came from the rows' users or the default; agent executions keep the workflow id.
    const agent = await client.query<{ tenant_id: string; task_id: string; idempotency_key: string }>(
      `SELECT tenant_id, task_id, idempotency_key FROM public.agent_executions WHERE workflow_id = 'bulk-wf-9'`,
    );
    assert.deepEqual(
      agent.rows.map((r) => r.task_id),
      ['bulk-wf-9'],
    );
    assert.match(agent.rows[0]!.idempotency_key, /^shannon:/);
    const keys = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.task_execution_keys k JOIN public.task_executions t ON t.id = k.task_id`,
    );
    assert.equal(keys.rows[0]!.n, counts.get('public.task_executions'));
    // Rows a year old went into monthly partitions, not the default one.
    const inDefault = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.task_executions_default`,
    );
    assert.equal(inDefault.rows[0]!.n, 0);
  });

  it("Shannon Data's invariants hold: forced RLS, no duplicate indexes, hot queries index-served", async () => {
    const rls = await client.query<{ tbl: string }>(
      `SELECT n.nspname || '.' || c.relname AS tbl FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE n.nspname IN ('public', 'auth') AND c.relkind IN ('r', 'p')
          AND NOT (c.relrowsecurity AND c.relforcerowsecurity)`,
    );
    assert.deepEqual(rls.rows, []);
    const duplicates = await client.query(
      `SELECT i.indrelid::regclass::text AS tbl, array_agg(i.indexrelid::regclass::text) AS indexes
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'auth')
        GROUP BY i.indrelid, i.indkey::text, i.indclass::text, i.indoption::text, i.indcollation::text,
                 pg_get_expr(i.indexprs, i.indrelid), pg_get_expr(i.indpred, i.indrelid)
       HAVING count(*) > 1`,
    );
    assert.deepEqual(duplicates.rows, []);
    const sample = await pickHotQuerySample(t.db);
    assert.ok(sample !== null, 'the adopted data yields a hot-query sample');
    await client.query('ANALYZE');
    for (const query of HOT_QUERIES) {
      // The data is small, where a sequential scan is cheapest; with it priced out, the plan
      // shows whether an index serves the query at all.
      const plan = await t.db.withTenant(
        sample.tenantId,
        async (tx) => {
          await tx.query('SET LOCAL enable_seqscan = off');
          return tx.query<{ 'QUERY PLAN': unknown }>(
            `EXPLAIN (FORMAT JSON) ${query.sql}`,
            query.params(sample),
          );
        },
        { readOnly: true },
      );
      const scans = planScans(plan.rows[0]!['QUERY PLAN']);
      assert.ok(
        scans.some((s) => s.index !== null) && !scans.some((s) => s.nodeType === 'Seq Scan'),
        `${query.id}: ${JSON.stringify(scans)}`,
      );
    }
  });

  it("Shannon's statements work on the adopted database as on a fresh one", async () => {
    const { results, writes, reads } = await runAs(t, role.role);
    console.log(`adopted database: writes_ok=${writes.ok}/${writes.of} reads_ok=${reads.ok}/${reads.of}`);
    assert.deepEqual(failingIds(results), listedInDoc());
  });
});
