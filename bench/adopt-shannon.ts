/**
 * How fast `adopt shannon --apply` converts a Shannon database, against the plainest copy of the
 * same rows, in one run: `npx tsx bench/adopt-shannon.ts [--tasks N] [--batch N] [--json]`.
 * Builds a scratch database with Shannon's own migrations (test/fixtures/shannon) on the server
 * of DATABASE_URL (default: the local test server), fills it with N tasks, N token-usage rows and
 * 2N events as Shannon leaves them (no tenant), then times:
 * - baseline: `CREATE TABLE … AS SELECT *` of those three tables (a raw copy: no casts, no tenant
 *   lookups, no indexes, no triggers);
 * - adoption: the whole `adoptShannon` run (cut-over, migrations, copy with tenant lookups into
 *   partitioned, indexed tables, checksums of both sides).
 * Prints rows/s of both and their ratio; the scratch database is dropped afterwards.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { adoptShannon } from '../src/ops/adopt-shannon.js';
import { Database } from '../src/postgres/database.js';
import { applyShannonMigrations } from '../test/helpers/shannon.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
  },
});
const tasks = Number(values.tasks);
const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

const server = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const name = `shannon_bench_adopt_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const url = new URL(server.toString());
url.pathname = `/${name}`;
const admin = new pg.Client({ connectionString: server.toString() });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const client = new pg.Client({ connectionString: url.toString() });
await client.connect();
try {
  await applyShannonMigrations(client);
  log(`seeding ${tasks} tasks, ${tasks} token-usage rows, ${2 * tasks} events`);
  await client.query(`
    INSERT INTO users (id, external_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'bench-user');
    INSERT INTO task_executions (workflow_id, user_id, query, status, started_at, completed_at, total_tokens)
      SELECT 'bench-wf-' || i, 'aaaaaaaa-0000-4000-8000-000000000001', 'query ' || i, 'COMPLETED',
             now() - (i % 365) * interval '1 day', now() - (i % 365) * interval '1 day' + interval '1 minute', 100
        FROM generate_series(1, ${tasks}) i;
    INSERT INTO token_usage (user_id, task_id, provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, created_at)
      SELECT user_id, id, 'openai', 'gpt-4o', 60, 40, 100, 0.001, started_at FROM task_executions;
    INSERT INTO event_logs (workflow_id, type, message, seq, timestamp, created_at)
      SELECT 'bench-wf-' || (1 + i % ${tasks}), 'AGENT_THINKING', 'message ' || i, i,
             now() - (i % 8760) * interval '1 hour', now() - (i % 8760) * interval '1 hour'
        FROM generate_series(1, ${2 * tasks}) i;
    ANALYZE;
  `);
  const rows = 4 * tasks;

  let started = performance.now();
  for (const table of ['task_executions', 'token_usage', 'event_logs'])
    await client.query(`CREATE TABLE public.bench_copy_${table} AS SELECT * FROM public.${table}`);
  const baselineMs = performance.now() - started;
  for (const table of ['task_executions', 'token_usage', 'event_logs'])
    await client.query(`DROP TABLE public.bench_copy_${table}`);

  const db = new Database({
    connectionString: url.toString(),
    pool: {
      max: 2,
      idleTimeoutMs: 10_000,
      maxLifetimeMs: 600_000,
      connectTimeoutMs: 5_000,
      queryTimeoutMs: 600_000,
      statementTimeoutMs: 0,
      healthPingIntervalMs: 0,
      sslMode: 'prefer',
      applicationName: 'bench-adopt',
      mode: 'session',
    },
    name: 'bench',
    appRole: null,
  });
  started = performance.now();
  try {
    const report = await adoptShannon(db, { apply: true, batchSize: Number(values.batch) });
    if (!report.tables.every((t) => t.match !== false)) throw new Error('a checksum differed');
  } finally {
    await db.close();
  }
  const adoptMs = performance.now() - started;
  const result = {
    rows,
    batch: Number(values.batch),
    baseline_rows_per_s: Math.round(rows / (baselineMs / 1000)),
    adopt_rows_per_s: Math.round(rows / (adoptMs / 1000)),
    adopt_seconds: Number((adoptMs / 1000).toFixed(2)),
    ratio_adopt_vs_raw_copy: Number((baselineMs / adoptMs).toFixed(3)),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    process.stdout.write(
      `adopt shannon: ${rows} rows in ${result.adopt_seconds} s (${result.adopt_rows_per_s} rows/s, verification included); raw CREATE TABLE AS: ${result.baseline_rows_per_s} rows/s; ratio ${result.ratio_adopt_vs_raw_copy}\n`,
    );
} finally {
  await client.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
