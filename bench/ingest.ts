/**
 * Write-path benchmark runner: `npx tsx bench/ingest.ts [--rows N] [--keep] [--json]`. Creates a
 * scratch database on the server of DATABASE_URL (default: the local test server), migrates it, runs
 * the phases of src/ingest/ingest-benchmark.ts (raw COPY with 1 and 2 streams, staging-COPY vs
 * unnest upserts, the write path with durable acknowledgements, one INSERT per row, p99 ack latency
 * at half rate) and drops the database (unless --keep). Against an existing database use
 * `shannon-data bench ingest` instead.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_POOL_MAX_LIFETIME_MS } from '../src/config/config.js';
import { runMigrations } from '../src/data-layer.js';
import {
  DEFAULT_BENCH_INGEST_ROWS,
  formatIngestBenchmark,
  runIngestBenchmark,
} from '../src/ingest/ingest-benchmark.js';
import { Database } from '../src/postgres/database.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: String(DEFAULT_BENCH_INGEST_ROWS) },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const server = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const name = `shannon_bench_ingest_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
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
    max: 6,
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
  log(`database ${name}: migrating`);
  await runMigrations(url.toString());
  const result = await runIngestBenchmark(db, {
    rows: Number(values.rows),
    onProgress: (phase) => log(`phase: ${phase}`),
  });
  process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : formatIngestBenchmark(result)}\n`);
} finally {
  await db.close();
  if (!values.keep) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  else log(`kept database ${name}`);
}
