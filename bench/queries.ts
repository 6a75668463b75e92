/**
 * Hot-query benchmark runner: `npx tsx bench/queries.ts [--tasks N] [--iterations N] [--warmup N]
 * [--only T5,U4] [--keep] [--json]`. Creates a scratch database on the server of DATABASE_URL
 * (default: the local test server), migrates and seeds it with the acceptance data set (scaled by
 * --tasks), prints p50/p95 per hot query and drops the database (unless --keep). Against an existing
 * database use `shannon-data bench queries` instead.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { formatQueryBenchmark } from '../src/cli/commands/bench-queries.js';
import { DEFAULT_POOL_MAX_LIFETIME_MS } from '../src/config/config.js';
import { runMigrations } from '../src/data-layer.js';
import { seedDatabase } from '../src/ops/seed/seed-database.js';
import { Database } from '../src/postgres/database.js';
import { HOT_QUERY_DATA_SET } from '../src/stores/hot-queries.js';
import { runQueryBenchmark } from '../src/stores/query-benchmark.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: String(HOT_QUERY_DATA_SET.tasks) },
    iterations: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '10' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const server = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const name = `shannon_bench_queries_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const url = new URL(server.toString());
url.pathname = `/${name}`;
const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

await admin(`CREATE DATABASE ${name}`);
const db = new Database({
  connectionString: url.toString(),
  pool: {
    max: 4,
    idleTimeoutMs: 10_000,
    maxLifetimeMs: DEFAULT_POOL_MAX_LIFETIME_MS,
    connectTimeoutMs: 5_000,
    queryTimeoutMs: 600_000,
    statementTimeoutMs: 0,
    healthPingIntervalMs: 0,
    sslMode: 'disable',
    applicationName: 'shannon-data-bench',
  },
  name: 'bench',
});
try {
  await runMigrations(url.toString());
  const tasks = Number(values.tasks);
  const scale = tasks / HOT_QUERY_DATA_SET.tasks;
  const seeded = await seedDatabase(db, {
    ...HOT_QUERY_DATA_SET,
    tasks,
    sessions: Math.max(1, Math.round(HOT_QUERY_DATA_SET.sessions * scale)),
    onProgress: (p) => log(`seed ${p.table} ${p.done}/${p.total}`),
  });
  const seedLine = `seeded ${tasks} tasks, ${seeded.rows['public.event_logs'] ?? 0} events in ${seeded.durationMs} ms`;
  log(seedLine);
  const result = await runQueryBenchmark(db, {
    iterations: Number(values.iterations),
    warmup: Number(values.warmup),
    ...(values.only === undefined ? {} : { only: values.only.split(',') }),
    onProgress: (done, total) => log(`queries ${done}/${total}`),
  });
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ seeded: seedLine, ...result }, null, 2)}\n`
      : `${formatQueryBenchmark(result, seedLine)}\n`,
  );
} finally {
  await db.close();
  if (!values.keep) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  else log(`kept database ${name}`);
}
