/**
 * Catalog checks on a migrated database: row-level security on every tenant table (flags, policies
 * and behaviour as the application role), no duplicate indexes, an index behind every foreign key,
 * unique keys that lead with tenant_id, comments on every table, and an application role that owns
 * nothing and cannot bypass RLS.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const APP_ROLE = 'shannon_app';
const SCHEMAS = ['public', 'auth'];

/**
 * Unique indexes on tenant tables that do not lead with tenant_id, each with its reason.
 * Primary keys on surrogate uuid ids are allowed in general (generated, globally unique).
 */
const UNIQUE_WITHOUT_TENANT: Record<string, string> = {
  'auth.users_email_key': 'login finds the account by email before any tenant is known',
  'auth.users_username_key': 'login finds the account by username before any tenant is known',
  'auth.api_keys_key_hash_key': 'digest of a random secret; authentication runs before the tenant is known',
  'auth.refresh_tokens_token_hash_key': 'digest of a random secret; refresh runs before the tenant is known',
  'public.scheduled_task_executions_schedule_id_task_id_key':
    "Shannon's ON CONFLICT target (0073); a schedule id names one tenant's schedule",
  'public.memory_points_collection_id_key':
    'the vector index keys points by id without the tenant; ids must not collide across tenants (0021)',
};

let tdb: TestDatabase;
let owner: pg.Client;

interface TenantTable {
  schema: string;
  name: string;
  qualified: string;
}

async function tenantTables(partitions: boolean): Promise<TenantTable[]> {
  const { rows } = await owner.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND ($2 OR NOT c.relispartition)
      ORDER BY 1, 2`,
    [SCHEMAS, partitions],
  );
  return rows.map((r) => ({ ...r, qualified: `${r.schema}.${r.name}` }));
}

/** Inserts one complete set of rows for a tenant, as the owner, in every table of migrations 0001-0019. */
async function insertFixture(client: pg.Client, tenantId: string, tag: string): Promise<void> {
  const userId = randomUUID();
  const authUserId = randomUUID();
  const scheduleId = randomUUID();
  const taskId = randomUUID();
  const q = (text: string, values: unknown[]) => client.query(text, values);
  await q(
    `INSERT INTO auth.users (id, email, username, password_hash, tenant_id) VALUES ($1, $2, $3, 'x', $4)`,
    [authUserId, `${tag}@example.test`, tag, tenantId],
  );
  await q(
    `INSERT INTO auth.api_keys (key_hash, key_prefix, user_id, tenant_id, name) VALUES ($1, $2, $3, $4, 'k')`,
    [`hash-${tag}`, `p${tag}`.slice(0, 20), authUserId, tenantId],
  );
  await q(
    `INSERT INTO auth.refresh_tokens (token_hash, user_id, tenant_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')`,
    [`rt-${tag}`, authUserId, tenantId],
  );
  await q(
    `INSERT INTO auth.audit_logs (event_type, user_id, tenant_id, idempotency_key) VALUES ('login', $1, $2, $3)`,
    [authUserId, tenantId, `a-${tag}`],
  );
  await q(`INSERT INTO public.users (id, external_id, tenant_id, auth_user_id) VALUES ($1, $2, $3, $4)`, [
    userId,
    `ext-${tag}`,
    tenantId,
    authUserId,
  ]);
  await q(`INSERT INTO public.sessions (user_id, external_id, tenant_id) VALUES ($1, $2, $3)`, [
    userId,
    `s-${tag}`,
    tenantId,
  ]);
  await q(
    `INSERT INTO public.scheduled_tasks (id, user_id, tenant_id, name, cron_expression, task_query, temporal_schedule_id)
     VALUES ($1, $2, $3, 'n', '* * * * *', 'q', $4)`,
    [scheduleId, userId, tenantId, `ts-${tag}`],
  );
  await q(
    `INSERT INTO public.scheduled_task_executions (schedule_id, tenant_id, task_id) VALUES ($1, $2, $3)`,
    [scheduleId, tenantId, `wf-${tag}`],
  );
  await q(
    `INSERT INTO public.task_execution_keys (tenant_id, workflow_id, task_id, started_at) VALUES ($1, $2, $3, now())`,
    [tenantId, `wf-${tag}`, taskId],
  );
  // COMPLETED fires the aggregate trigger, which fills usage_daily_aggregates.
  await q(
    `INSERT INTO public.task_executions (id, workflow_id, user_id, query, status, tenant_id, schedule_id, trigger_type)
     VALUES ($1, $2, $3, 'q', 'COMPLETED', $4, $5, 'schedule')`,
    [taskId, `wf-${tag}`, userId, tenantId, scheduleId],
  );
  await q(
    `INSERT INTO public.token_usage (user_id, provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, task_id, tenant_id, idempotency_key)
     VALUES ($1, 'openai', 'gpt', 1, 1, 2, 0.01, $2, $3, $4)`,
    [userId, taskId, tenantId, `tu-${tag}`],
  );
  await q(
    `INSERT INTO public.event_logs (workflow_id, type, seq, tenant_id, idempotency_key) VALUES ($1, 'LLM_OUTPUT', 1, $2, $3)`,
    [`wf-${tag}`, tenantId, `ev-${tag}`],
  );
  const agent = await q(
    `INSERT INTO public.agent_executions (agent_id, input, state, workflow_id, task_id, tenant_id, idempotency_key)
     VALUES ('agent-1', 'i', 'COMPLETED', $1, $2, $3, $4) RETURNING id`,
    [`wf-${tag}`, taskId, tenantId, `ae-${tag}`],
  );
  const agentId = agent.rows[0].id;
  await q(
    `INSERT INTO public.tool_executions (agent_execution_id, tool_name, workflow_id, tenant_id, idempotency_key)
     VALUES ($1, 'search', $2, $3, $4)`,
    [agentId, `wf-${tag}`, tenantId, `te-${tag}`],
  );
  await q(
    `INSERT INTO public.audit_logs (user_id, action, tenant_id, idempotency_key) VALUES ($1, 'update', $2, $3)`,
    [userId, tenantId, `al-${tag}`],
  );
  await q(
    `INSERT INTO public.session_archives (session_id, user_id, tenant_id, idempotency_key) VALUES ($1, $2, $3, $4)`,
    [`s-${tag}`, userId, tenantId, `sa-${tag}`],
  );
  await q(
    `INSERT INTO public.learning_cases (user_id, input_hash, action_taken, outcome, task_id, tenant_id, idempotency_key)
     VALUES ($1, $2, '{}', '{}', $3, $4, $5)`,
    [userId, `h-${tag}`, taskId, tenantId, `lc-${tag}`],
  );
  await q(
    `INSERT INTO public.tool_calls (tool_name, agent_execution_id, tenant_id) VALUES ('search', $1, $2)`,
    [agentId, tenantId],
  );
  await q(
    `INSERT INTO public.decomposition_patterns (session_id, user_id, tenant_id, query_pattern, subtasks) VALUES ($1, $2, $3, 'q', '[]')`,
    [`s-${tag}`, userId, tenantId],
  );
  await q(`INSERT INTO public.strategy_performance (user_id, tenant_id, strategy) VALUES ($1, $2, 'react')`, [
    userId,
    tenantId,
  ]);
  await q(
    `INSERT INTO public.team_compositions (session_id, user_id, tenant_id, task_type, agent_roles) VALUES ($1, $2, $3, 't', '[]')`,
    [`s-${tag}`, userId, tenantId],
  );
  await q(`INSERT INTO public.user_preferences (user_id, tenant_id) VALUES ($1, $2)`, [userId, tenantId]);
}

/** Tables created by migrations 0001-0019 (this area); the fixture must cover each of them. */
const OWN_TENANT_TABLES = [
  'auth.api_keys',
  'auth.audit_logs',
  'auth.refresh_tokens',
  'auth.users',
  'public.agent_executions',
  'public.audit_logs',
  'public.decomposition_patterns',
  'public.event_logs',
  'public.learning_cases',
  'public.scheduled_task_executions',
  'public.scheduled_tasks',
  'public.session_archives',
  'public.sessions',
  'public.strategy_performance',
  'public.task_execution_keys',
  'public.task_executions',
  'public.team_compositions',
  'public.token_usage',
  'public.tool_calls',
  'public.tool_executions',
  'public.usage_daily_aggregates',
  'public.user_preferences',
  'public.users',
];

before(async () => {
  tdb = await createTestDatabase();
  owner = new pg.Client({ connectionString: tdb.url });
  await owner.connect();
});

after(async () => {
  await owner?.end();
  await tdb?.drop();
});

describe('row-level security', () => {
  test('every table with tenant_id (partitions included) has RLS enabled, forced and a policy', async () => {
    const tables = await tenantTables(true);
    assert.ok(tables.length >= OWN_TENANT_TABLES.length, `found only ${tables.length} tenant tables`);
    const { rows } = await owner.query<{
      qualified: string;
      enabled: boolean;
      forced: boolean;
      policies: number;
    }>(
      `SELECT n.nspname || '.' || c.relname AS qualified, c.relrowsecurity AS enabled,
              c.relforcerowsecurity AS forced,
              (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname || '.' || c.relname = ANY($1)`,
      [tables.map((t) => t.qualified)],
    );
    const bad = rows.filter((r) => !r.enabled || !r.forced || r.policies < 1);
    assert.deepEqual(bad, [], 'tables without enabled+forced RLS and a policy');
    for (const own of OWN_TENANT_TABLES) {
      assert.ok(
        tables.some((t) => t.qualified === own),
        `${own} should be a tenant table`,
      );
    }
  });

  test('as the application role: no tenant set sees no rows; a tenant sees exactly its own', async () => {
    const tenantA = randomUUID();
    const tenantB = randomUUID();
    await owner.query(`INSERT INTO auth.tenants (id, name, slug) VALUES ($1, 'A', $2), ($3, 'B', $4)`, [
      tenantA,
      `a-${tenantA}`,
      tenantB,
      `b-${tenantB}`,
    ]);
    await insertFixture(owner, tenantA, `a${tenantA.slice(0, 8)}`);
    await insertFixture(owner, tenantB, `b${tenantB.slice(0, 8)}`);

    const tables = await tenantTables(false);
    const app = new pg.Client({ connectionString: tdb.url });
    await app.connect();
    try {
      for (const table of tables) {
        const counts = await owner.query<{ a: number; total: number }>(
          `SELECT count(*) FILTER (WHERE tenant_id = $1)::int AS a, count(*)::int AS total FROM ${table.qualified}`,
          [tenantA],
        );
        const { a, total } = counts.rows[0]!;
        if (OWN_TENANT_TABLES.includes(table.qualified)) {
          assert.ok(a >= 1 && total > a, `fixture must put rows of two tenants in ${table.qualified}`);
        }
        await app.query('BEGIN');
        try {
          await app.query(`SET LOCAL ROLE ${APP_ROLE}`);
          const none = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table.qualified}`);
          assert.equal(none.rows[0]!.n, 0, `${table.qualified}: rows visible without a tenant`);
          await app.query(`SELECT set_config('app.tenant_id', '', true)`);
          const empty = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table.qualified}`);
          assert.equal(empty.rows[0]!.n, 0, `${table.qualified}: rows visible with an empty tenant`);
          await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantA]);
          const own = await app.query<{ n: number; foreign: number }>(
            `SELECT count(*)::int AS n, count(*) FILTER (WHERE tenant_id <> $1)::int AS foreign FROM ${table.qualified}`,
            [tenantA],
          );
          assert.equal(own.rows[0]!.foreign, 0, `${table.qualified}: another tenant's rows are visible`);
          assert.equal(own.rows[0]!.n, a, `${table.qualified}: tenant A should see its ${a} rows`);
        } finally {
          await app.query('ROLLBACK');
        }
      }
    } finally {
      await app.end();
    }
  });

  test('the application role cannot write rows for another tenant', async () => {
    const tenantA = randomUUID();
    const tenantB = randomUUID();
    await owner.query(`INSERT INTO auth.tenants (id, name, slug) VALUES ($1, 'A', $2), ($3, 'B', $4)`, [
      tenantA,
      `wa-${tenantA}`,
      tenantB,
      `wb-${tenantB}`,
    ]);
    const app = new pg.Client({ connectionString: tdb.url });
    await app.connect();
    try {
      await app.query('BEGIN');
      await app.query(`SET LOCAL ROLE ${APP_ROLE}`);
      await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantA]);
      await assert.rejects(
        app.query(`INSERT INTO public.users (external_id, tenant_id) VALUES ('x', $1)`, [tenantB]),
        (error: { code?: string }) => error.code === '42501',
      );
      await app.query('ROLLBACK');
    } finally {
      await app.end();
    }
  });

  test('the application role may only read auth.tenants and cannot touch partitions or migrations directly', async () => {
    const { rows } = await owner.query<{ tbl: string; privilege: string; granted: boolean }>(
      `SELECT t.tbl, p.privilege, has_table_privilege($1, t.tbl, p.privilege) AS granted
         FROM unnest($2::text[]) AS t(tbl), unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p(privilege)`,
      [APP_ROLE, ['auth.tenants', 'public.shannon_schema_migrations']],
    );
    const granted = rows.filter((r) => r.granted).map((r) => `${r.tbl}:${r.privilege}`);
    assert.deepEqual(granted, ['auth.tenants:SELECT']);
    const parts = await owner.query<{ name: string }>(
      `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relispartition AND n.nspname = ANY($2)
          AND (has_table_privilege($1, c.oid, 'SELECT') OR has_table_privilege($1, c.oid, 'INSERT'))`,
      [APP_ROLE, SCHEMAS],
    );
    assert.deepEqual(parts.rows, [], 'partitions reachable by the application role directly');
  });
  test('no function runs with its owner rights (SECURITY DEFINER would sidestep the policies)', async () => {
    const { rows } = await owner.query<{ name: string }>(
      `SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY($1) AND p.prosecdef
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
      [SCHEMAS],
    );
    assert.deepEqual(rows, []);
  });

  test("every view runs with the caller's rights, so row-level security applies through it", async () => {
    const { rows } = await owner.query<{ name: string }>(
      `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind IN ('v', 'm')
          AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false)
          -- Views of extensions (pg_stat_statements, hypopg) read no tenant table.
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`,
      [SCHEMAS],
    );
    assert.deepEqual(rows, [], 'views that would read as their (RLS-exempt) owner');
    const history = await owner.query(`SELECT to_regclass('public.v_schedule_execution_history') AS v`);
    assert.notEqual(history.rows[0].v, null);
  });
});

describe('application role', () => {
  test('is not superuser, cannot bypass RLS and owns nothing', async () => {
    const role = await owner.query<{ rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean }>(
      `SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1`,
      [APP_ROLE],
    );
    assert.equal(role.rowCount, 1);
    assert.equal(role.rows[0]!.rolsuper, false);
    assert.equal(role.rows[0]!.rolbypassrls, false);
    const owned = await owner.query<{ kind: string; name: string }>(
      `SELECT 'relation' AS kind, oid::regclass::text AS name FROM pg_class WHERE relowner = $1::regrole
       UNION ALL SELECT 'function', oid::regprocedure::text FROM pg_proc WHERE proowner = $1::regrole
       UNION ALL SELECT 'schema', nspname FROM pg_namespace WHERE nspowner = $1::regrole
       UNION ALL SELECT 'type', oid::regtype::text FROM pg_type WHERE typowner = $1::regrole`,
      [APP_ROLE],
    );
    assert.deepEqual(owned.rows, []);
  });
});

describe('indexes and keys', () => {
  test('no two indexes on a table have the same columns, expressions and predicate', async () => {
    const { rows } = await owner.query<{ tbl: string; indexes: string[] }>(
      `SELECT i.indrelid::regclass::text AS tbl, array_agg(i.indexrelid::regclass::text ORDER BY 1) AS indexes
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1)
        GROUP BY i.indrelid, i.indkey::text, i.indclass::text, i.indoption::text, i.indcollation::text,
                 pg_get_expr(i.indexprs, i.indrelid), pg_get_expr(i.indpred, i.indrelid)
       HAVING count(*) > 1`,
      [SCHEMAS],
    );
    assert.deepEqual(rows, []);
  });

  test('every foreign key has an index whose leading columns are the key columns', async () => {
    const { rows } = await owner.query<{ constraint: string; tbl: string }>(
      `SELECT con.conname AS constraint, con.conrelid::regclass::text AS tbl
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE con.contype = 'f' AND n.nspname = ANY($1)
          AND NOT EXISTS (
            SELECT 1 FROM pg_index i
             WHERE i.indrelid = con.conrelid AND i.indisvalid
               AND i.indnkeyatts >= cardinality(con.conkey)
               AND (SELECT array_agg(k ORDER BY k) FROM unnest((i.indkey::int2[])[0:cardinality(con.conkey) - 1]) k)
                   = (SELECT array_agg(k ORDER BY k) FROM unnest(con.conkey) k)
               -- A partial index serves the key only when its predicate is implied by "key = value".
               AND (i.indpred IS NULL OR EXISTS (
                 SELECT 1 FROM unnest(con.conkey) k
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k
                  WHERE pg_get_expr(i.indpred, i.indrelid) = '(' || quote_ident(a.attname) || ' IS NOT NULL)')))
        ORDER BY 2, 1`,
      [SCHEMAS],
    );
    assert.ok(rows.length === 0, `foreign keys without an index: ${JSON.stringify(rows)}`);
    const fkCount = await owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
        WHERE con.contype = 'f' AND n.nspname = ANY($1)`,
      [SCHEMAS],
    );
    assert.ok(fkCount.rows[0]!.n > 20, 'the schema should have its foreign keys');
  });

  test('every unique index on a tenant table leads with tenant_id (or is an allowed exception)', async () => {
    const { rows } = await owner.query<{ idx: string; primary: boolean; lead: string }>(
      `SELECT n.nspname || '.' || ic.relname AS idx, i.indisprimary AS primary, a.attname AS lead
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indisunique AND n.nspname = ANY($1) AND NOT c.relispartition
          AND EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = c.oid AND t.attname = 'tenant_id' AND NOT t.attisdropped)`,
      [SCHEMAS],
    );
    const offending = rows
      .filter((r) => r.lead !== 'tenant_id')
      .filter((r) => !(r.primary && r.lead === 'id'))
      .filter((r) => UNIQUE_WITHOUT_TENANT[r.idx] === undefined)
      .map((r) => r.idx);
    assert.deepEqual(offending, []);
    assert.ok(
      rows.some((r) => r.lead === 'tenant_id'),
      'tenant-leading unique keys should exist',
    );
  });

  test('every table and partitioned parent has a comment', async () => {
    const { rows } = await owner.query<{ name: string }>(
      `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND obj_description(c.oid, 'pg_class') IS NULL
          AND c.relname <> 'shannon_schema_migrations'
        ORDER BY 1`,
      [SCHEMAS],
    );
    assert.deepEqual(rows, []);
  });

  test('status vocabularies are enforced by CHECK constraints', async () => {
    const tenant = randomUUID();
    await owner.query(`INSERT INTO auth.tenants (id, name, slug) VALUES ($1, 'c', $2)`, [
      tenant,
      `c-${tenant}`,
    ]);
    await assert.rejects(
      owner.query(
        `INSERT INTO public.task_executions (workflow_id, query, status, tenant_id) VALUES ('w', 'q', 'DONE', $1)`,
        [tenant],
      ),
      (error: { code?: string }) => error.code === '23514',
    );
    await assert.rejects(
      owner.query(`INSERT INTO auth.tenants (name, slug, plan) VALUES ('p', $1, 'gold')`, [`p-${tenant}`]),
      (error: { code?: string }) => error.code === '23514',
    );
    await assert.rejects(
      owner.query(
        `INSERT INTO public.event_logs (workflow_id, type, seq, tenant_id, idempotency_key) VALUES ('w', 't', 0, $1, 'k')`,
        [tenant],
      ),
      (error: { code?: string }) => error.code === '23514',
    );
  });
});
