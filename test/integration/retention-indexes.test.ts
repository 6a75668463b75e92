/**
 * Retention's purges are served by indexes: on tables of 20 000 rows of which a few are expired,
 * each batch delete (sessions, session archives, learning cases, task keys, tool calls, schedule
 * runs), the memory points batch of one collection and the refresh-token purge plan an index scan
 * on the index migrations 0064 and 0071 added, never a sequential scan of the table.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { quoteIdent } from '../../src/ops/finding.js';
import {
  COLLECTION_POINTS_BATCH_SQL,
  deleteTenantRowsBatchSql,
  PURGE_REFRESH_TOKENS_SQL,
} from '../../src/ops/retention-sql.js';
import { createTenant, createTestDatabase, createUser, type TestDatabase } from '../helpers/database.js';

const ROWS = 20_000;

describe('retention purges use their indexes', () => {
  let t: TestDatabase;
  let tenant: string;

  before(async () => {
    t = await createTestDatabase();
    tenant = await createTenant(t.db);
    const other = await createTenant(t.db);
    // Most rows are young (or another tenant's); the oldest 20 are what a purge removes.
    const age = `CASE WHEN g <= 20 THEN now() - interval '400 days' ELSE now() - g * interval '1 minute' END`;
    const owner = `CASE WHEN g % 2 = 0 THEN $1::uuid ELSE $2::uuid END`;
    const values = [tenant, other, ROWS];
    await t.db.query(
      `INSERT INTO public.sessions (tenant_id, external_id, expires_at)
       SELECT ${owner}, 's-' || g, ${age} FROM generate_series(1, $3::int) g`,
      values,
    );
    await t.db.query(
      `INSERT INTO public.session_archives (tenant_id, session_id, idempotency_key, snapshot_taken_at)
       SELECT ${owner}, 's-' || g, 'k-' || g, ${age} FROM generate_series(1, $3::int) g`,
      values,
    );
    await t.db.query(
      `INSERT INTO public.learning_cases (tenant_id, input_hash, action_taken, outcome, idempotency_key, created_at)
       SELECT ${owner}, 'h-' || g, '{}', '{}', 'k-' || g, ${age} FROM generate_series(1, $3::int) g`,
      values,
    );
    await t.db.query(
      `INSERT INTO public.task_execution_keys (tenant_id, workflow_id, task_id, started_at)
       SELECT ${owner}, 'wf-' || g, gen_random_uuid(), ${age} FROM generate_series(1, $3::int) g`,
      values,
    );
    await t.db.query(
      `INSERT INTO public.tool_calls (tenant_id, tool_name, created_at)
       SELECT ${owner}, 'tool', ${age} FROM generate_series(1, $3::int) g`,
      values,
    );
    await t.db.query(
      `INSERT INTO public.decomposition_patterns (tenant_id, session_id, query_pattern, subtasks, updated_at)
       SELECT ${owner}, 's-' || g, 'q', '[]', ${age} FROM generate_series(1, $3::int) g`,
      values,
    );
    await t.db.query(
      `INSERT INTO public.team_compositions (tenant_id, session_id, task_type, agent_roles, created_at)
       SELECT ${owner}, 's-' || g, 't', '[]', ${age} FROM generate_series(1, $3::int) g`,
      values,
    );
    const user = await createUser(t.db, tenant, 'scheduler');
    const { rows: schedule } = await t.db.query<{ id: string }>(
      `INSERT INTO public.scheduled_tasks (tenant_id, user_id, name, cron_expression, task_query, temporal_schedule_id)
       VALUES ($1, $2, 'nightly', '0 0 * * *', 'q', 'ts-1') RETURNING id`,
      [tenant, user],
    );
    await t.db.query(
      `INSERT INTO public.scheduled_task_executions (tenant_id, schedule_id, task_id, triggered_at)
       SELECT $1, $2, 'run-' || g, CASE WHEN g <= 20 THEN now() - interval '400 days' ELSE now() - g * interval '1 minute' END
         FROM generate_series(1, $3::int) g`,
      [tenant, schedule[0]!.id, ROWS],
    );
    await t.db.query(
      `INSERT INTO public.memory_collection_versions (collection, version, physical_name, dimension, state)
       VALUES ('cases', 1, 'cases_v1', 4, 'active')`,
    );
    await t.db.query(
      `INSERT INTO public.memory_points (tenant_id, collection, id, vector, created_at)
       SELECT ${owner}, 'cases_v1', gen_random_uuid(), '\\x0000803f000000400000404000008040'::bytea, ${age}
         FROM generate_series(1, $3::int) g`,
      values,
    );
    const { rows } = await t.db.query<{ id: string }>(
      `INSERT INTO auth.users (tenant_id, email, username, password_hash)
       VALUES ($1, 'retention@example.com', 'retention', 'x') RETURNING id`,
      [tenant],
    );
    await t.db.query(
      `INSERT INTO auth.refresh_tokens (tenant_id, user_id, token_hash, expires_at, revoked, revoked_at)
       SELECT $1, $2, 'h-' || g,
              CASE WHEN g <= 20 THEN now() - interval '1 day' ELSE now() + interval '30 days' END,
              g BETWEEN 21 AND 30, CASE WHEN g BETWEEN 21 AND 30 THEN now() - interval '40 days' END
         FROM generate_series(1, $3::int) g`,
      [tenant, rows[0]!.id, ROWS],
    );
    for (const table of [
      'public.sessions',
      'public.session_archives',
      'public.learning_cases',
      'public.task_execution_keys',
      'public.tool_calls',
      'public.scheduled_task_executions',
      'public.memory_points',
      'auth.refresh_tokens',
      'public.decomposition_patterns',
      'public.team_compositions',
    ]) {
      await t.db.query(`ANALYZE ${table}`);
    }
  });
  after(() => t?.drop());

  async function plan(sql: string, values: unknown[]): Promise<string> {
    const { rows } = await t.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }
  const cutoff = new Date(Date.now() - 100 * 86_400_000);

  const purges: [string, string, string[], string][] = [
    ['public.sessions', 'expires_at', ['id'], 'sessions_tenant_expires_idx'],
    ['public.session_archives', 'snapshot_taken_at', ['id'], 'session_archives_tenant_taken_idx'],
    ['public.learning_cases', 'created_at', ['id'], 'learning_cases_tenant_created_idx'],
    [
      'public.task_execution_keys',
      'started_at',
      ['tenant_id', 'workflow_id'],
      'task_execution_keys_tenant_started_idx',
    ],
    ['public.tool_calls', 'created_at', ['id'], 'tool_calls_tenant_created_idx'],
    ['public.decomposition_patterns', 'updated_at', ['id'], 'decomposition_patterns_tenant_updated_idx'],
    ['public.team_compositions', 'created_at', ['id'], 'team_compositions_tenant_created_idx'],
    [
      'public.scheduled_task_executions',
      'triggered_at',
      ['id'],
      'scheduled_task_executions_tenant_triggered_idx',
    ],
  ];
  for (const [table, column, keys, index] of purges) {
    it(`the ${table} purge scans ${index}`, async () => {
      const text = await plan(deleteTenantRowsBatchSql(table, keys.map(quoteIdent).join(', '), column), [
        tenant,
        cutoff,
      ]);
      assert.match(text, new RegExp(`Index (Only )?Scan using ${index}|Bitmap Index Scan on ${index}`), text);
      assert.doesNotMatch(text, new RegExp(`Seq Scan on ${table.split('.')[1]}`), text);
    });
  }

  it("a collection's expired points are found by memory_points_tenant_collection_created_idx", async () => {
    const text = await plan(COLLECTION_POINTS_BATCH_SQL, [tenant, 'cases_v1', cutoff, 1000]);
    assert.match(text, /memory_points_tenant_collection_created_idx/, text);
    assert.doesNotMatch(text, /Seq Scan on memory_points/, text);
  });

  it('the refresh-token purge reads the expiry and revocation indexes', async () => {
    const text = await plan(PURGE_REFRESH_TOKENS_SQL, [new Date(), new Date(Date.now() - 30 * 86_400_000)]);
    assert.match(text, /refresh_tokens_expires_idx/, text);
    assert.match(text, /refresh_tokens_revoked_idx/, text);
    assert.doesNotMatch(text, /Seq Scan on refresh_tokens/, text);
  });
});
