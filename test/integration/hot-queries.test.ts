/**
 * Acceptance "Hot queries": on a seeded database of at least 200k tasks and 1M events, EXPLAIN of
 * every hot query of SPEC §4.3 — the exact SQL the stores run, with parameters taken from the data
 * (the busiest tenant, user and session) and under the tenant's row-level security — shows no
 * sequential scan of a table (partition) with 10k rows or more, and at least one index scan.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { seedDatabase } from '../../src/devtools/seed/seed-database.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Database } from '../../src/postgres/database.js';
import {
  HOT_QUERIES,
  HOT_QUERY_DATA_SET as HOT_QUERY_SEED,
  type HotQuerySample,
  pickHotQuerySample,
} from '../../src/stores/hot-queries.js';
import { planScans } from '../../src/stores/plan-scans.js';
import { databaseUrl, ensureTemplate, TEST_SERVER_URL, testPoolConfig } from '../helpers/database.js';

/** A relation at least this large must never be read by a sequential scan. */
const LARGE_TABLE_ROWS = 10_000;

const SEEDED_TEMPLATE_LOCK_KEY = 7_305_914_213;

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The seeded data set takes minutes to generate on a busy 2-core machine, so it is built once into
 * a template named after the migrations, the seed options and the seed generator's source, and each
 * run clones it (file copy, seconds). Any change to those inputs builds a new one; stale ones go.
 */
async function seededTemplate(): Promise<string> {
  const base = await ensureTemplate();
  const hash = createHash('sha256').update(base).update(JSON.stringify(HOT_QUERY_SEED));
  for (const file of ['seed-database.ts', 'seed-queries.ts']) {
    hash.update(readFileSync(new URL(`../../src/devtools/seed/${file}`, import.meta.url)));
  }
  const name = `shannon_hot_${hash.digest('hex').slice(0, 16)}`;
  await withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [SEEDED_TEMPLATE_LOCK_KEY]);
    try {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [
        name,
      ]);
      if (found.rowCount === 1) return;
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${base}`);
      const db = new Database({
        connectionString: databaseUrl(name),
        pool: testPoolConfig({ queryTimeoutMs: 600_000 }),
        metrics: createMetrics(),
        name: 'seed',
      });
      try {
        await seedDatabase(db, HOT_QUERY_SEED);
      } finally {
        await db.close();
      }
      await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      const stale = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'shannon_hot_%' AND datname <> $1`,
        [name],
      );
      for (const row of stale.rows) {
        await admin.query(`ALTER DATABASE ${row.datname} WITH IS_TEMPLATE false`);
        await admin.query(`DROP DATABASE IF EXISTS ${row.datname}`).catch(() => undefined);
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [SEEDED_TEMPLATE_LOCK_KEY]);
    }
  });
  return name;
}

let name: string;
let db: Database;
let sample: HotQuerySample;
const rowsByRelation = new Map<string, number>();

async function explain(sql: string, params: unknown[]) {
  const { rows } = await db.withTenant(
    sample.tenantId,
    (tx) => tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params),
    { readOnly: true },
  );
  return planScans(rows[0]!['QUERY PLAN']);
}

function largeSeqScans(scans: ReturnType<typeof planScans>): string[] {
  return scans
    .filter(
      (s) => s.nodeType === 'Seq Scan' && (rowsByRelation.get(s.relation ?? '') ?? 0) >= LARGE_TABLE_ROWS,
    )
    .map((s) => `${s.relation} (${rowsByRelation.get(s.relation ?? '')} rows)`);
}

before(async () => {
  const template = await seededTemplate();
  name = `shannon_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  // FILE_COPY: a checkpoint and a file copy instead of WAL-logging every block of a 1 GB database.
  await withAdmin((admin) =>
    admin.query(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY = FILE_COPY`),
  );
  db = new Database({
    connectionString: databaseUrl(name),
    pool: testPoolConfig({ queryTimeoutMs: 120_000 }),
    metrics: createMetrics(),
    name: 'test',
  });
  const { rows } = await db.query<{ relname: string; rows: number }>(
    `SELECT c.relname, c.reltuples::bigint::int AS rows FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ('public', 'auth') AND c.relkind = 'r'`,
  );
  for (const r of rows) rowsByRelation.set(r.relname, r.rows);
  const picked = await pickHotQuerySample(db);
  assert.ok(picked !== null, 'the seeded database yields a sample');
  sample = picked;
});
after(async () => {
  await db?.close();
  if (name !== undefined && process.env['KEEP_TEST_DB'] !== '1') {
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
});

describe('hot queries on a seeded database', () => {
  it('has the acceptance size: at least 200k tasks and 1M events', async () => {
    const { rows } = await db.query<{ tasks: number; events: number }>(
      `SELECT (SELECT count(*) FROM public.task_executions)::int AS tasks,
              (SELECT count(*) FROM public.event_logs)::int AS events`,
    );
    assert.ok(rows[0]!.tasks >= 200_000, `tasks: ${rows[0]!.tasks}`);
    assert.ok(rows[0]!.events >= 1_000_000, `events: ${rows[0]!.events}`);
  });

  it('detects a sequential scan: the original S1 (id::text = $1, no tenant) fails the check', async () => {
    // As the owner, like the original (no tenant predicate from row-level security).
    const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(
      'EXPLAIN (FORMAT JSON) SELECT context FROM public.sessions WHERE id::text = $1 AND deleted_at IS NULL',
      [sample.sessionId],
    );
    const scans = planScans(rows[0]!['QUERY PLAN']);
    assert.deepEqual(
      largeSeqScans(scans).map((s) => s.split(' ')[0]),
      ['sessions'],
    );
  });

  for (const query of HOT_QUERIES) {
    it(`${query.id} ${query.title}: index-served, no sequential scan of a large table`, async () => {
      const scans = await explain(query.sql, query.params(sample));
      assert.deepEqual(largeSeqScans(scans), [], `plan scans: ${JSON.stringify(scans)}`);
      assert.ok(
        scans.some((s) => s.index !== null),
        `no index in the plan: ${JSON.stringify(scans)}`,
      );
    });
  }
});
