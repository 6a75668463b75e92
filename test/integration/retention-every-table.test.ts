/**
 * Retention with the default policies, for every growing table and every plan: after a run,
 * nothing older than its policy is left (tasks and their keys, schedule runs, tool calls,
 * sessions, session archives, learning cases, the supervisor's decomposition patterns and team
 * compositions, memory points per collection) and everything
 * younger stays; document chunks are
 * kept; removed points reach the memory outbox as deletes; the daily aggregates equal a recount;
 * and restoring the run's archive gives every row back, aggregates included.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyDailyAggregates } from '../../src/ops/aggregates.js';
import { type ArchiveManifest, MANIFEST_FILE, signManifest } from '../../src/ops/archive-manifest.js';
import { restoreArchive } from '../../src/ops/archive-restore.js';
import { runRetention } from '../../src/ops/retention.js';
import { createTenant, createTestDatabase, createUser, type TestDatabase } from '../helpers/database.js';

const KEY = 'retention-every-table-test-key-0123456789abcdef';
type Plan = 'free' | 'pro' | 'enterprise';
const PLANS: readonly Plan[] = ['free', 'pro', 'enterprise'];
/** Per kind and plan: [age in days, kept after the run]. */
type Cases = Record<Plan, [number, boolean][]>;

// Tasks: 400 days, free 90, enterprise 730. The enterprise month 800 days back is dropped whole;
// the shorter plans lose their rows by range.
const TASKS: Cases = {
  free: [
    [130, false],
    [100, false],
    [80, true],
  ],
  pro: [
    [440, false],
    [390, true],
  ],
  enterprise: [
    [800, false],
    [700, true],
  ],
};
// Keys: a month longer than their tasks (free 121, pro 431, enterprise 761).
const KEYS: Cases = {
  free: [
    [130, false],
    [100, true],
    [80, true],
  ],
  pro: [
    [440, false],
    [390, true],
  ],
  enterprise: [
    [800, false],
    [700, true],
  ],
};
// Sessions, by days since they expired (or were deleted): 30, free 7, enterprise 90.
const SESSIONS: Cases = {
  free: [
    [10, false],
    [5, true],
  ],
  pro: [
    [40, false],
    [20, true],
  ],
  enterprise: [
    [100, false],
    [80, true],
  ],
};
// Session archives, by snapshot age: 90, free 30, enterprise 365 (their cache TTL long past).
const ARCHIVES: Cases = {
  free: [
    [40, false],
    [20, true],
  ],
  pro: [
    [100, false],
    [80, true],
  ],
  enterprise: [
    [400, false],
    [300, true],
  ],
};
// Learning cases, and the supervisor's decomposition patterns (by their last change) and team
// compositions: 365, free 90, enterprise 730.
const LEARNING: Cases = {
  free: [
    [100, false],
    [80, true],
  ],
  pro: [
    [400, false],
    [300, true],
  ],
  enterprise: [
    [800, false],
    [700, true],
  ],
};
// Task embeddings: 400, free 90, enterprise 730; tool results 180, free 30; document chunks kept.
const TASK_POINTS: Cases = {
  free: [
    [100, false],
    [80, true],
  ],
  pro: [
    [410, false],
    [390, true],
  ],
  enterprise: [
    [800, false],
    [700, true],
  ],
};
const TOOL_POINTS: Cases = {
  free: [
    [40, false],
    [20, true],
  ],
  pro: [
    [200, false],
    [150, true],
  ],
  enterprise: [
    [200, false],
    [150, true],
  ],
};
// Runs of schedules follow their tasks; tool calls 180 days on every plan.
const SCHEDULE_RUNS: Cases = TASKS;
const TOOL_CALLS: Cases = {
  free: [
    [200, false],
    [150, true],
  ],
  pro: [
    [200, false],
    [150, true],
  ],
  enterprise: [
    [200, false],
    [150, true],
  ],
};
const CHUNK_POINTS: Cases = { free: [[1000, true]], pro: [[1000, true]], enterprise: [[1000, true]] };

function kept(kind: string, plan: Plan, cases: Cases): string[] {
  return cases[plan]
    .filter(([, stays]) => stays)
    .map(([age]) => `${kind}-${plan}-${age}`)
    .sort();
}

describe('retention of every growing table with the default policies', () => {
  let t: TestDatabase;
  let dir: string;
  const tenants = {} as Record<Plan, string>;

  before(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'shannon-retention-all-'));
    // Months back to 30 months ago, so old tasks land in their own month and not the default partition.
    await t.db.query(
      `SELECT count(*) FROM public.shannon_create_monthly_partitions('public.task_executions', 30, 3)`,
    );
    await t.db.query(
      `INSERT INTO public.memory_collection_versions (collection, version, physical_name, dimension, state)
       VALUES ('task_embeddings', 1, 'task_embeddings_v1', 4, 'active'),
              ('tool_results', 1, 'tool_results_v1', 4, 'active'),
              ('document_chunks', 1, 'document_chunks_v1', 4, 'active')`,
    );
    for (const plan of PLANS) {
      const tenant = await createTenant(t.db);
      tenants[plan] = tenant;
      await t.db.query(`UPDATE auth.tenants SET plan = $2 WHERE id = $1`, [tenant, plan]);
      for (const [age] of TASKS[plan]) {
        const label = `task-${plan}-${age}`;
        await t.db.query(
          `WITH k AS (
             INSERT INTO public.task_execution_keys (tenant_id, workflow_id, task_id, started_at)
             VALUES ($1, $2, gen_random_uuid(), now() - make_interval(days => $3)) RETURNING *)
           INSERT INTO public.task_executions
             (id, tenant_id, workflow_id, query, status, started_at, completed_at, total_tokens, total_cost_usd)
           SELECT task_id, tenant_id, workflow_id, 'q', 'COMPLETED', started_at, started_at, 100, 0.5 FROM k`,
          [tenant, label, age],
        );
      }
      const user = await createUser(t.db, tenant, `user-${plan}`);
      const { rows: schedule } = await t.db.query<{ id: string }>(
        `INSERT INTO public.scheduled_tasks (tenant_id, user_id, name, cron_expression, task_query, temporal_schedule_id)
         VALUES ($1, $2, 'nightly', '0 0 * * *', 'q', 'ts-1') RETURNING id`,
        [tenant, user],
      );
      for (const [age] of SCHEDULE_RUNS[plan]) {
        await t.db.query(
          `INSERT INTO public.scheduled_task_executions (tenant_id, schedule_id, task_id, triggered_at)
           VALUES ($1, $2, $3, now() - make_interval(days => $4))`,
          [tenant, schedule[0]!.id, `run-${plan}-${age}`, age],
        );
      }
      for (const [age] of TOOL_CALLS[plan]) {
        await t.db.query(
          `INSERT INTO public.tool_calls (tenant_id, tool_name, created_at) VALUES ($1, $2, now() - make_interval(days => $3))`,
          [tenant, `call-${plan}-${age}`, age],
        );
      }
      for (const [age] of SESSIONS[plan]) {
        await t.db.query(
          `INSERT INTO public.sessions (tenant_id, external_id, created_at, expires_at)
           VALUES ($1, $2, now() - make_interval(days => $3 + 30), now() - make_interval(days => $3))`,
          [tenant, `session-${plan}-${age}`, age],
        );
      }
      // A session deleted long enough ago goes too (a delete sets expires_at to the deletion time).
      await t.db.query(
        `INSERT INTO public.sessions (tenant_id, external_id, created_at, deleted_at, expires_at)
         VALUES ($1, $2, now() - interval '200 days', now() - interval '150 days', now() - interval '150 days')`,
        [tenant, `session-${plan}-deleted`],
      );
      for (const [age] of ARCHIVES[plan]) {
        await t.db.query(
          `INSERT INTO public.session_archives (tenant_id, session_id, idempotency_key, snapshot_taken_at, ttl_expires_at)
           VALUES ($1, $2::text, $2::text, now() - make_interval(days => $3), now() - make_interval(days => $3) + interval '30 minutes')`,
          [tenant, `archive-${plan}-${age}`, age],
        );
      }
      for (const [age] of LEARNING[plan]) {
        await t.db.query(
          `INSERT INTO public.learning_cases (tenant_id, input_hash, action_taken, outcome, idempotency_key, created_at)
           VALUES ($1, $2::text, '{}', '{}', $2::text, now() - make_interval(days => $3))`,
          [tenant, `learning-${plan}-${age}`, age],
        );
        // Created long ago, changed at `age`: it ages from the change.
        await t.db.query(
          `INSERT INTO public.decomposition_patterns (tenant_id, session_id, query_pattern, subtasks, created_at, updated_at)
           VALUES ($1, $2::text, 'q', '[]', now() - interval '2000 days', now() - make_interval(days => $3))`,
          [tenant, `pattern-${plan}-${age}`, age],
        );
        await t.db.query(
          `INSERT INTO public.team_compositions (tenant_id, session_id, task_type, agent_roles, created_at)
           VALUES ($1, $2::text, 't', '[]', now() - make_interval(days => $3))`,
          [tenant, `team-${plan}-${age}`, age],
        );
      }
      for (const [collection, cases] of [
        ['task_embeddings_v1', TASK_POINTS],
        ['tool_results_v1', TOOL_POINTS],
        ['document_chunks_v1', CHUNK_POINTS],
      ] as const) {
        for (const [age] of cases[plan]) {
          await t.db.query(
            `INSERT INTO public.memory_points (tenant_id, collection, id, vector, payload, created_at)
             VALUES ($1, $2, gen_random_uuid(), '\\x0000803f000000400000404000008040'::bytea,
                     jsonb_build_object('label', $3::text), now() - make_interval(days => $4))`,
            [tenant, collection, `${collection.replace(/_v1$/, '')}-${plan}-${age}`, age],
          );
        }
      }
    }
  });
  after(async () => {
    await t?.drop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function labels(sql: string, tenant: string): Promise<string[]> {
    const { rows } = await t.db.query<{ label: string }>(sql, [tenant]);
    return rows.map((r) => r.label).sort();
  }
  const TASKS_SQL = `SELECT workflow_id AS label FROM public.task_executions WHERE tenant_id = $1`;
  const KEYS_SQL = `SELECT workflow_id AS label FROM public.task_execution_keys WHERE tenant_id = $1`;
  const SESSIONS_SQL = `SELECT external_id AS label FROM public.sessions WHERE tenant_id = $1`;
  const ARCHIVES_SQL = `SELECT session_id AS label FROM public.session_archives WHERE tenant_id = $1`;
  const RUNS_SQL = `SELECT task_id AS label FROM public.scheduled_task_executions WHERE tenant_id = $1`;
  const CALLS_SQL = `SELECT tool_name AS label FROM public.tool_calls WHERE tenant_id = $1`;
  const LEARNING_SQL = `SELECT input_hash AS label FROM public.learning_cases WHERE tenant_id = $1`;
  const PATTERNS_SQL = `SELECT session_id AS label FROM public.decomposition_patterns WHERE tenant_id = $1`;
  const TEAMS_SQL = `SELECT session_id AS label FROM public.team_compositions WHERE tenant_id = $1`;
  const pointsSql = (collection: string) =>
    `SELECT payload->>'label' AS label FROM public.memory_points WHERE tenant_id = $1 AND collection = '${collection}'`;

  /** Every table's content, as text; memory points without the version a restore bumps. */
  async function contents(): Promise<Record<string, string>> {
    const tables: Record<string, string> = {
      tasks: `SELECT to_jsonb(x)::text AS r FROM public.task_executions x ORDER BY id`,
      keys: `SELECT to_jsonb(x)::text AS r FROM public.task_execution_keys x ORDER BY tenant_id, workflow_id`,
      sessions: `SELECT to_jsonb(x)::text AS r FROM public.sessions x ORDER BY id`,
      archives: `SELECT to_jsonb(x)::text AS r FROM public.session_archives x ORDER BY id`,
      learning: `SELECT to_jsonb(x)::text AS r FROM public.learning_cases x ORDER BY id`,
      patterns: `SELECT to_jsonb(x)::text AS r FROM public.decomposition_patterns x ORDER BY id`,
      teams: `SELECT to_jsonb(x)::text AS r FROM public.team_compositions x ORDER BY id`,
      runs: `SELECT to_jsonb(x)::text AS r FROM public.scheduled_task_executions x ORDER BY id`,
      calls: `SELECT to_jsonb(x)::text AS r FROM public.tool_calls x ORDER BY id`,
      points: `SELECT (to_jsonb(x) - 'version' - 'updated_at')::text AS r FROM public.memory_points x ORDER BY tenant_id, collection, id`,
      aggregates: `SELECT (to_jsonb(x) - 'id' - 'updated_at' - 'created_at')::text AS r FROM public.usage_daily_aggregates x ORDER BY tenant_id, date`,
    };
    const out: Record<string, string> = {};
    for (const [name, sql] of Object.entries(tables)) {
      const { rows } = await t.db.query<{ r: string }>(sql);
      out[name] = rows.map((r) => r.r).join('\n');
    }
    return out;
  }

  /**
   * A memory-points file names its one collection; restore refuses a file whose rows belong to
   * another (here: tool results relabelled as task embeddings, manifest re-signed), and a
   * collection on any other table.
   */
  async function refusesPointsOfAnotherCollection(archive: string): Promise<void> {
    const manifest = JSON.parse(await readFile(join(archive, MANIFEST_FILE), 'utf8')) as ArchiveManifest;
    const points = manifest.files.find((f) => f.collection === 'tool_results_v1');
    const task = manifest.files.find((f) => f.table === 'public.task_executions');
    assert.ok(points !== undefined && task !== undefined);
    for (const [entry, reason] of [
      [{ ...points, collection: 'task_embeddings_v1' }, 'row_of_other_collection'],
      [{ ...task, collection: 'task_embeddings_v1' }, 'malformed'],
    ] as const) {
      const copy = await mkdtemp(join(dir, 'tampered-'));
      await copyFile(join(archive, entry.file), join(copy, entry.file));
      const body = { ...manifest, files: [entry], signature: null };
      const signed = { ...body, signature: signManifest(body, KEY) };
      await writeFile(join(copy, MANIFEST_FILE), JSON.stringify(signed));
      await assert.rejects(restoreArchive(t.db, t.db, { directory: copy, key: KEY }), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'ARCHIVE_UNTRUSTED');
        assert.equal((error as { details?: { reason?: string } }).details?.reason, reason);
        return true;
      });
    }
  }

  it('removes exactly what is older than each policy, keeps the rest, and the archive gives it all back', async () => {
    const before = await contents();
    const { rows: doomedPoints } = await t.db.query<{ id: string }>(
      `SELECT id::text AS id FROM public.memory_points
        WHERE (collection = 'task_embeddings_v1' AND payload->>'label' = ANY($1))
           OR (collection = 'tool_results_v1' AND payload->>'label' = ANY($2))`,
      [
        PLANS.flatMap((p) => TASK_POINTS[p].filter(([, s]) => !s).map(([a]) => `task_embeddings-${p}-${a}`)),
        PLANS.flatMap((p) => TOOL_POINTS[p].filter(([, s]) => !s).map(([a]) => `tool_results-${p}-${a}`)),
      ],
    );
    assert.equal(doomedPoints.length, 6);

    const report = await runRetention(t.db, t.db, { archiveDirectory: dir, archiveKey: KEY });
    assert.ok(
      report.actions.every((a) => a.done),
      JSON.stringify(report.actions.filter((a) => !a.done)),
    );
    assert.ok(
      report.actions.some((a) => a.kind === 'drop_partition' && a.table === 'public.task_executions'),
      'the enterprise month is dropped whole',
    );

    // Per table: the query of its labels, the label prefix, its cases, and what to call it.
    const expectations: [string, string, Cases, string][] = [
      [TASKS_SQL, 'task', TASKS, 'tasks'],
      [KEYS_SQL, 'task', KEYS, 'task keys'],
      [SESSIONS_SQL, 'session', SESSIONS, 'sessions'],
      [ARCHIVES_SQL, 'archive', ARCHIVES, 'session archives'],
      [LEARNING_SQL, 'learning', LEARNING, 'learning cases'],
      [PATTERNS_SQL, 'pattern', LEARNING, 'decomposition patterns'],
      [TEAMS_SQL, 'team', LEARNING, 'team compositions'],
      [RUNS_SQL, 'run', SCHEDULE_RUNS, 'schedule runs'],
      [CALLS_SQL, 'call', TOOL_CALLS, 'tool calls'],
      [pointsSql('task_embeddings_v1'), 'task_embeddings', TASK_POINTS, 'task embeddings'],
      [pointsSql('tool_results_v1'), 'tool_results', TOOL_POINTS, 'tool results'],
      [pointsSql('document_chunks_v1'), 'document_chunks', CHUNK_POINTS, 'document chunks (kept)'],
    ];
    for (const plan of PLANS) {
      for (const [sql, kind, cases, what] of expectations) {
        assert.deepEqual(await labels(sql, tenants[plan]), kept(kind, plan, cases), `${what} of ${plan}`);
      }
    }
    // The vector index follows: one delete per removed point in the outbox.
    const { rows: outbox } = await t.db.query<{ point_id: string }>(
      `SELECT point_id::text AS point_id FROM public.memory_outbox WHERE op = 'delete' ORDER BY 1`,
    );
    assert.deepEqual(
      outbox.map((r) => r.point_id),
      doomedPoints.map((r) => r.id).sort(),
    );
    const everything = { from: '2000-01-01', to: '2100-01-01' };
    assert.deepEqual(await verifyDailyAggregates(t.db, everything), [], 'aggregates equal a recount');

    assert.ok(report.archive !== null);
    await refusesPointsOfAnotherCollection(report.archive);
    const restored = await restoreArchive(t.db, t.db, { directory: report.archive, key: KEY });
    assert.ok(
      restored.files.every((f) => f.verified),
      JSON.stringify(restored.files),
    );
    assert.deepEqual(await contents(), before, 'every row is back as it was');
    assert.deepEqual(await verifyDailyAggregates(t.db, everything), [], 'aggregates equal a recount');
    const { rows: upserts } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.memory_outbox WHERE op = 'upsert'`,
    );
    assert.equal(upserts[0]!.n, 6, 'restored points are queued for the vector index');
  });
});
