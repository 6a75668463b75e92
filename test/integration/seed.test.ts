/**
 * The seed generator on a small size: exact row counts, realistic spread (several monthly
 * partitions, skewed users, mostly COMPLETED, 5–20 events per task), empty default partitions, and
 * daily aggregates that match the terminal tasks (the trigger stayed on); and `shannon-data seed`
 * on the configured database.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type SeedOptions, type SeedResult, seedDatabase } from '../../src/devtools/seed/seed-database.js';
import { isShannonError } from '../../src/errors/errors.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const OPTIONS: SeedOptions = {
  tenants: 3,
  usersPerTenant: 15,
  sessions: 200,
  tasks: 1_500,
  eventsPerTask: 12.5,
  tokenUsagePerTask: 3,
  agentExecutionsPerTask: 2,
  toolExecutionsPerAgent: 1.5,
  months: 4,
  seed: 'seed-test',
  batchTasks: 400,
};

let tdb: TestDatabase;
let result: SeedResult;

async function count(sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await tdb.db.query<{ n: number }>(sql, values);
  return rows[0]!.n;
}

before(async () => {
  tdb = await createTestDatabase();
  result = await seedDatabase(tdb.db, OPTIONS);
});

after(async () => {
  await tdb?.drop();
});

describe('seedDatabase', () => {
  test('inserts the requested entities and reports exactly what is in the tables', async () => {
    assert.equal(result.rows['auth.tenants'], OPTIONS.tenants);
    assert.equal(result.rows['public.users'], OPTIONS.tenants * OPTIONS.usersPerTenant);
    assert.equal(result.rows['public.sessions'], OPTIONS.sessions);
    assert.equal(
      await count(`SELECT count(*)::int AS n FROM public.sessions WHERE expires_at IS NULL`),
      0,
      'every session expires (retention ages sessions by expires_at)',
    );
    assert.equal(result.rows['public.task_executions'], OPTIONS.tasks);
    for (const [table, n] of Object.entries(result.rows)) {
      assert.equal(await count(`SELECT count(*)::int AS n FROM ${table}`), n, table);
    }
    const events = result.rows['public.event_logs']!;
    assert.ok(events >= OPTIONS.tasks * 5 && events <= OPTIONS.tasks * 20, `events ${events}`);
    assert.ok(result.rows['public.tool_executions']! > 0);
  });

  test('every task has 5 to 20 events with sequence 1..n', async () => {
    const { rows } = await tdb.db.query<{ lo: number; hi: number; gaps: number; tasks: number }>(
      `SELECT min(n)::int AS lo, max(n)::int AS hi, count(*) FILTER (WHERE max_seq <> n)::int AS gaps,
              count(*)::int AS tasks
         FROM (SELECT workflow_id, count(*) AS n, max(seq) AS max_seq FROM event_logs GROUP BY workflow_id) w`,
    );
    assert.deepEqual(rows[0], { lo: 5, hi: 20, gaps: 0, tasks: OPTIONS.tasks });
  });

  test('rows spread over at least three monthly partitions and no default partition has rows', async () => {
    for (const table of [
      'task_executions',
      'event_logs',
      'token_usage',
      'agent_executions',
      'tool_executions',
    ]) {
      const parts = await count(
        `SELECT count(DISTINCT tableoid)::int AS n FROM ${table} WHERE tableoid::regclass::text LIKE $1`,
        [`${table}\\_p%`],
      );
      assert.ok(parts >= 3, `${table} spans ${parts} monthly partitions`);
    }
    const defaults = await tdb.db.query<{ part: string; n: number }>(
      `SELECT c.oid::regclass::text AS part, 0 AS n FROM pg_class c
        WHERE c.relispartition AND c.relname LIKE '%\\_default'`,
    );
    assert.ok(defaults.rows.length >= 7);
    for (const { part } of defaults.rows) {
      assert.equal(await count(`SELECT count(*)::int AS n FROM ${part}`), 0, part);
    }
  });

  test('distributions are realistic: mostly COMPLETED, skewed users, consistent tenants', async () => {
    const completed = await count(
      `SELECT count(*)::int AS n FROM task_executions WHERE status = 'COMPLETED'`,
    );
    assert.ok(completed > OPTIONS.tasks * 0.7 && completed < OPTIONS.tasks, `completed ${completed}`);
    const { rows } = await tdb.db.query<{ top: number; median: number }>(
      `SELECT max(n)::int AS top, percentile_disc(0.5) WITHIN GROUP (ORDER BY n)::int AS median
         FROM (SELECT count(*) AS n FROM task_executions GROUP BY user_id) u`,
    );
    assert.ok(rows[0]!.top > 2 * rows[0]!.median, `top user ${rows[0]!.top} vs median ${rows[0]!.median}`);
    // A task's user, session and token usage belong to the task's tenant.
    const mismatched = await count(
      `SELECT count(*)::int AS n FROM task_executions t
         JOIN users u ON u.id = t.user_id
         LEFT JOIN sessions s ON s.id::text = t.session_id OR s.external_id = t.session_id
        WHERE u.tenant_id <> t.tenant_id OR s.tenant_id <> t.tenant_id OR s.id IS NULL`,
    );
    assert.equal(mismatched, 0);
    const keys = await count(
      `SELECT count(*)::int AS n FROM task_execution_keys k
         JOIN task_executions t ON t.tenant_id = k.tenant_id AND t.workflow_id = k.workflow_id
          AND t.started_at = k.started_at AND t.id = k.task_id`,
    );
    assert.equal(keys, OPTIONS.tasks);
  });

  test('daily aggregates count every terminal task once and statistics are fresh', async () => {
    const terminal = await count(
      `SELECT count(*)::int AS n FROM task_executions WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')`,
    );
    assert.equal(
      await count(`SELECT coalesce(sum(total_tasks), 0)::int AS n FROM usage_daily_aggregates`),
      terminal,
    );
    const analysed = await count(
      `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'event_logs\\_p%' AND reltuples > 0`,
    );
    assert.ok(analysed >= 3, `analysed event partitions: ${analysed}`);
  });

  test('bad options are refused with the field named', async () => {
    await assert.rejects(seedDatabase(tdb.db, { ...OPTIONS, tasks: 0 }), (error: unknown) => {
      return isShannonError(error) && error.code === 'VALIDATION_FAILED' && error.field === 'tasks';
    });
    await assert.rejects(
      seedDatabase(tdb.db, { ...OPTIONS, eventsPerTask: Number.NaN }),
      (error: unknown) => {
        return isShannonError(error) && error.field === 'eventsPerTask';
      },
    );
  });
});

describe('shannon-data seed', () => {
  let cliDb: TestDatabase;
  let dataDir: string;

  before(async () => {
    cliDb = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'shannon-seed-cli-'));
  });

  after(async () => {
    await cliDb?.drop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test('seeds the configured database and prints what it inserted', async () => {
    const env = { DATABASE_URL: cliDb.url, SHANNON_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const args = ['--tenants', '2', '--users-per-tenant', '5', '--sessions', '20', '--tasks', '60'];
    const run = await runCli(['seed', ...args, '--events', '600', '--seed', 'cli', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as SeedResult;
    assert.equal(printed.rows['auth.tenants'], 2);
    assert.equal(printed.rows['public.users'], 10);
    assert.equal(printed.rows['public.task_executions'], 60);
    for (const [table, n] of Object.entries(printed.rows)) {
      const { rows } = await cliDb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      assert.equal(rows[0]!.n, n, table);
    }
    const refused = await runCli(['seed', '--tasks', '0'], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--tasks/);
  });
});
