/**
 * Monthly partitioning: rows land in the partition of their month, partitions for the coming
 * months exist, default partitions stay empty, and task_executions keeps one row per workflow_id
 * across partitions (the task_execution_keys upsert), with terminal statuses never regressed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Queryable } from '../../src/postgres/queryable.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const PARTITIONED = [
  'auth.audit_logs',
  'public.agent_executions',
  'public.audit_logs',
  'public.event_logs',
  'public.task_executions',
  'public.token_usage',
  'public.tool_executions',
];

/**
 * The task upsert documented in docs/schema.md: claim (or read) the workflow's key row, then upsert
 * the task row in the partition fixed by the key's started_at; a terminal status is never replaced.
 */
const UPSERT_TASK = `
WITH k AS (
  INSERT INTO task_execution_keys (tenant_id, workflow_id, task_id, started_at)
  VALUES ($1, $2, gen_random_uuid(), $3)
  ON CONFLICT (tenant_id, workflow_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id
  RETURNING task_id, started_at
)
INSERT INTO task_executions AS t (id, tenant_id, workflow_id, started_at, query, status, total_tokens)
SELECT k.task_id, $1, $2, k.started_at, $4, $5, $6 FROM k
ON CONFLICT (tenant_id, workflow_id, started_at) DO UPDATE SET
  status = EXCLUDED.status,
  total_tokens = EXCLUDED.total_tokens,
  updated_at = now()
WHERE t.status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')
RETURNING t.id, t.status, t.started_at`;

let tdb: TestDatabase;
let tenant: string;

/** First instant (UTC) of the month `offset` months from now. */
function monthStart(offset: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

function suffix(d: Date): string {
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The middle of the month `offset` months from now. */
function midMonth(offset: number): Date {
  return new Date(monthStart(offset).getTime() + 14 * 24 * 3600 * 1000);
}

async function upsertTask(
  tx: Queryable,
  workflowId: string,
  startedAt: Date,
  status: string,
  totalTokens: number,
): Promise<{ id: string; status: string }[]> {
  const { rows } = await tx.query<{ id: string; status: string }>(UPSERT_TASK, [
    tenant,
    workflowId,
    startedAt,
    'query',
    status,
    totalTokens,
  ]);
  return rows;
}

before(async () => {
  tdb = await createTestDatabase();
  tenant = await createTenant(tdb.db);
});

after(async () => {
  await tdb?.drop();
});

describe('monthly partitions', () => {
  test('every partitioned table has a default partition and partitions from 3 months back to 3 ahead', async () => {
    for (const parent of PARTITIONED) {
      const { rows } = await tdb.db.query<{ name: string; bound: string }>(
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = $1::regclass`,
        [parent],
      );
      const names = rows.map((r) => r.name);
      const base = parent.split('.')[1]!;
      assert.ok(
        rows.some((r) => r.name === `${base}_default` && r.bound === 'DEFAULT'),
        `${parent} default partition`,
      );
      for (let offset = -3; offset <= 3; offset++) {
        const name = `${base}_p${suffix(monthStart(offset))}`;
        assert.ok(names.includes(name), `${parent} should have ${name}; has ${names.join(', ')}`);
      }
    }
  });

  test('rows of three different months land in three monthly partitions (as the app role)', async () => {
    const months = [-2, -1, 0].map(midMonth);
    const landed = await tdb.db.withTenant(tenant, async (tx) => {
      const out: string[] = [];
      for (const [i, at] of months.entries()) {
        const { rows } = await tx.query<{ part: string }>(
          `INSERT INTO event_logs (workflow_id, type, seq, created_at, "timestamp", tenant_id, idempotency_key)
           VALUES ('wf-months', 'LLM_OUTPUT', $1, $2, $2, $3, $4) RETURNING tableoid::regclass::text AS part`,
          [i + 1, at, tenant, `months-${i}`],
        );
        out.push(rows[0]!.part);
      }
      return out;
    });
    assert.deepEqual(
      landed,
      [-2, -1, 0].map((o) => `event_logs_p${suffix(monthStart(o))}`),
    );
    const tasks = await tdb.db.withTenant(tenant, async (tx) => {
      const out: string[] = [];
      for (const [i, at] of months.entries()) {
        await upsertTask(tx, `wf-month-${i}`, at, 'RUNNING', 0);
        const { rows } = await tx.query<{ part: string }>(
          `SELECT tableoid::regclass::text AS part FROM task_executions WHERE tenant_id = $1 AND workflow_id = $2`,
          [tenant, `wf-month-${i}`],
        );
        out.push(rows[0]!.part);
      }
      return out;
    });
    assert.deepEqual(
      tasks,
      [-2, -1, 0].map((o) => `task_executions_p${suffix(monthStart(o))}`),
    );
  });

  test('a retried append with the same idempotency key and time is one row', async () => {
    const at = midMonth(-1);
    await tdb.db.withTenant(tenant, async (tx) => {
      for (let i = 0; i < 2; i++) {
        await tx.query(
          `INSERT INTO token_usage (provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, created_at, tenant_id, idempotency_key)
           VALUES ('openai', 'gpt', 1, 2, 3, 0.001, $1, $2, 'retry-1')
           ON CONFLICT (tenant_id, idempotency_key, created_at) DO NOTHING`,
          [at, tenant],
        );
      }
    });
    const { rows } = await tdb.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM token_usage WHERE tenant_id = $1 AND idempotency_key = 'retry-1'`,
      [tenant],
    );
    assert.equal(rows[0]!.n, 1);
  });

  test('default partitions are empty', async () => {
    for (const parent of PARTITIONED) {
      const { rows } = await tdb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${parent}_default`);
      assert.equal(rows[0]!.n, 0, `${parent}_default`);
    }
  });

  test('the partition function is idempotent, validates its input and refuses over-long names', async () => {
    const again = await tdb.db.query(
      `SELECT * FROM shannon_create_monthly_partitions('public.event_logs', 3, 3)`,
    );
    assert.equal(again.rowCount, 0);
    const ahead = await tdb.db.query<{ name: string }>(
      `SELECT name FROM shannon_create_monthly_partitions('public.event_logs', 0, 5) AS name`,
    );
    assert.deepEqual(
      ahead.rows.map((r) => r.name),
      [4, 5].map((o) => `event_logs_p${suffix(monthStart(o))}`),
    );
    await assert.rejects(
      tdb.db.query(`SELECT shannon_create_monthly_partitions('public.event_logs', -1, 3)`),
      (error: { sqlstate?: string }) => error.sqlstate === '22023',
    );
    await assert.rejects(
      tdb.db.query(`SELECT shannon_create_monthly_partitions('public.users', 0, 1)`),
      (error: { sqlstate?: string }) => error.sqlstate === '42809',
    );
    const longName = `t${'x'.repeat(55)}`;
    await tdb.db.query(
      `CREATE TABLE public.${longName} (created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at)`,
    );
    await assert.rejects(
      tdb.db.query(`SELECT shannon_create_monthly_partitions('public.${longName}', 0, 1)`),
    );
    await tdb.db.query(`DROP TABLE public.${longName}`);
  });
  test('partition bounds and names are UTC months whatever the session TimeZone', async () => {
    const client = new pg.Client({ connectionString: tdb.url });
    await client.connect();
    try {
      await client.query(`SET TimeZone = 'Pacific/Kiritimati'`);
      await client.query(
        `CREATE TABLE public.tz_probe (created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at)`,
      );
      await client.query(`SELECT shannon_create_monthly_partitions('public.tz_probe', 0, 1)`);
      await client.query(`SET TimeZone = 'UTC'`);
      const { rows } = await client.query<{ name: string; bound: string }>(
        `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'public.tz_probe'::regclass ORDER BY 1`,
      );
      const day = (d: Date) => d.toISOString().slice(0, 10);
      assert.deepEqual(rows, [
        { name: 'tz_probe_default', bound: 'DEFAULT' },
        {
          name: `tz_probe_p${suffix(monthStart(0))}`,
          bound: `FOR VALUES FROM ('${day(monthStart(0))} 00:00:00+00') TO ('${day(monthStart(1))} 00:00:00+00')`,
        },
        {
          name: `tz_probe_p${suffix(monthStart(1))}`,
          bound: `FOR VALUES FROM ('${day(monthStart(1))} 00:00:00+00') TO ('${day(monthStart(2))} 00:00:00+00')`,
        },
      ]);
      await client.query('DROP TABLE public.tz_probe');
    } finally {
      await client.end();
    }
  });
});

describe('task_executions idempotency on workflow_id', () => {
  test('the same workflow upserted twice, also with a started_at in another month, is one row', async () => {
    const workflow = `wf-${randomUUID()}`;
    const first = midMonth(-1);
    await tdb.db.withTenant(tenant, async (tx) => {
      await upsertTask(tx, workflow, first, 'RUNNING', 1);
      await upsertTask(tx, workflow, first, 'RUNNING', 2);
      // A replay stamped in another month still lands on the first row.
      await upsertTask(tx, workflow, midMonth(0), 'RUNNING', 3);
    });
    const { rows } = await tdb.db.query<{ n: number; started_at: Date; total_tokens: number; part: string }>(
      `SELECT count(*) OVER ()::int AS n, started_at, total_tokens, tableoid::regclass::text AS part
         FROM task_executions WHERE tenant_id = $1 AND workflow_id = $2`,
      [tenant, workflow],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.started_at.getTime(), first.getTime());
    assert.equal(rows[0]!.total_tokens, 3);
    assert.equal(rows[0]!.part, `task_executions_p${suffix(monthStart(-1))}`);
  });

  test('a terminal status is never regressed and the daily aggregate counts the task once', async () => {
    const workflow = `wf-${randomUUID()}`;
    const at = midMonth(-1);
    const result = await tdb.db.withTenant(tenant, async (tx) => {
      await upsertTask(tx, workflow, at, 'RUNNING', 1);
      const completed = await upsertTask(tx, workflow, at, 'COMPLETED', 10);
      const late = await upsertTask(tx, workflow, midMonth(0), 'RUNNING', 99);
      const again = await upsertTask(tx, workflow, at, 'FAILED', 50);
      return { completed, late, again };
    });
    assert.equal(result.completed[0]?.status, 'COMPLETED');
    assert.deepEqual(result.late, [], 'a late RUNNING must not update a COMPLETED task');
    assert.deepEqual(result.again, [], 'a terminal task is final');
    const { rows } = await tdb.db.query<{ status: string; total_tokens: number }>(
      `SELECT status, total_tokens FROM task_executions WHERE tenant_id = $1 AND workflow_id = $2`,
      [tenant, workflow],
    );
    assert.deepEqual(rows, [{ status: 'COMPLETED', total_tokens: 10 }]);
    const agg = await tdb.db.query<{ total_tasks: number; successful_tasks: number; total_tokens: string }>(
      `SELECT total_tasks, successful_tasks, total_tokens FROM usage_daily_aggregates
        WHERE tenant_id = $1 AND user_id IS NULL AND date = ($2::timestamptz AT TIME ZONE 'UTC')::date`,
      [tenant, at],
    );
    assert.deepEqual(agg.rows, [{ total_tasks: 1, successful_tasks: 1, total_tokens: '10' }]);
  });

  test('concurrent first writes of one workflow from two connections leave one row', async () => {
    const workflow = `wf-${randomUUID()}`;
    const clients = [
      new pg.Client({ connectionString: tdb.url }),
      new pg.Client({ connectionString: tdb.url }),
    ];
    await Promise.all(clients.map((c) => c.connect()));
    try {
      for (const c of clients) {
        await c.query('BEGIN');
        await c.query(
          `SELECT set_config('app.tenant_id', $1, true), set_config('role', 'shannon_app', true)`,
          [tenant],
        );
      }
      // The first claims the key; the second blocks on it until the first commits, then reuses it.
      await clients[0]!.query(UPSERT_TASK, [tenant, workflow, midMonth(-2), 'q', 'RUNNING', 1]);
      const second = clients[1]!.query(UPSERT_TASK, [tenant, workflow, midMonth(0), 'q', 'COMPLETED', 2]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await clients[0]!.query('COMMIT');
      await second;
      await clients[1]!.query('COMMIT');
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const { rows } = await tdb.db.query<{ status: string; started_at: Date }>(
      `SELECT status, started_at FROM task_executions WHERE tenant_id = $1 AND workflow_id = $2`,
      [tenant, workflow],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'COMPLETED');
    assert.equal(rows[0]!.started_at.getTime(), midMonth(-2).getTime());
  });
});
