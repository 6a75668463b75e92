/**
 * One database per test file, cloned from a migrated template. The template is named after the
 * checksum of every migration file, built once under an advisory lock (test files run in
 * parallel processes), and reused until a migration changes. A file's databases are dropped when
 * it is done, unless one of its tests failed: then they are kept and named on stderr, so the
 * failure can be looked at in the data it left.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'node:test';
import pg from 'pg';
import { DEFAULT_POOL_MAX_LIFETIME_MS, type PoolConfig } from '../../src/config/config.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { Database } from '../../src/postgres/database.js';
import type { Queryable } from '../../src/postgres/queryable.js';
import { migrateUp, readMigrations } from '../../src/schema/migrator.js';

/** Server the integration tests use; override with TEST_PG_URL (must be a superuser on a scratch server). */
export const TEST_SERVER_URL = process.env['TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TEMPLATE_LOCK_KEY = 7_305_914_212;

export function testPoolConfig(overrides: Partial<PoolConfig> = {}): PoolConfig {
  return {
    max: 5,
    idleTimeoutMs: 10_000,
    maxLifetimeMs: DEFAULT_POOL_MAX_LIFETIME_MS,
    connectTimeoutMs: 5_000,
    queryTimeoutMs: 60_000,
    statementTimeoutMs: 0,
    healthPingIntervalMs: 0,
    sslMode: 'disable',
    applicationName: 'shannon-data-test',
    mode: 'session',
    ...overrides,
  };
}

/** The URL of a database on the test server. */
export function databaseUrl(name: string, base: string = TEST_SERVER_URL): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

function templateName(): string {
  const hash = createHash('sha256');
  for (const m of readMigrations()) hash.update(`${m.file}:${m.checksum}\n`);
  return `shannon_tpl_${hash.digest('hex').slice(0, 16)}`;
}

export async function withAdmin<T>(
  fn: (client: pg.Client) => Promise<T>,
  base = TEST_SERVER_URL,
): Promise<T> {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the migrated template database if it does not exist yet; returns its name. */
export async function ensureTemplate(base = TEST_SERVER_URL): Promise<string> {
  const name = templateName();
  await withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      const found = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate`, [
        name,
      ]);
      if (found.rowCount === 1) return;
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
      const client = new pg.Client({ connectionString: databaseUrl(name, base) });
      await client.connect();
      try {
        await migrateUp(client);
      } finally {
        await client.end();
      }
      // Marked as template only once fully migrated, so a crash mid-way is rebuilt next time.
      await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      // Older templates are dead weight once the migrations changed.
      const stale = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'shannon_tpl_%' AND datname <> $1`,
        [name],
      );
      for (const row of stale.rows) {
        await admin.query(`ALTER DATABASE ${row.datname} WITH IS_TEMPLATE false`);
        await admin.query(`DROP DATABASE IF EXISTS ${row.datname}`).catch(() => undefined);
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  }, base);
  return name;
}

/**
 * Failures seen so far in this test file (each file runs in its own process). Hooks registered at
 * the root apply to every test of the file, nested ones included. A drop() called while a test
 * runs (a `finally` inside the test) waits for that test's result.
 */
const outcome = { failed: false, running: 0, pending: [] as (() => Promise<void>)[] };
// Only under the test runner (it sets NODE_TEST_CONTEXT in each file's process): a root hook
// registered in a plain script, such as scripts/update-schema-dump.ts, would start a test report.
if (process.env['NODE_TEST_CONTEXT'] !== undefined) {
  beforeEach(() => {
    outcome.running++;
  });
  afterEach(async (t) => {
    // `passed` is there since Node 20.12; this @types/node does not declare it yet.
    if ('passed' in t && t.passed === false) outcome.failed = true;
    outcome.running = Math.max(0, outcome.running - 1);
    if (outcome.running > 0) return;
    for (const settle of outcome.pending.splice(0)) await settle();
  });
}

async function dropOrKeep(name: string): Promise<void> {
  if (process.env['KEEP_TEST_DB'] === '1') return;
  if (outcome.failed) {
    process.stderr.write(`kept test database ${name} (a test in this file failed)\n`);
    return;
  }
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

export interface TestDatabase {
  name: string;
  /** Connection URL as the owner (superuser) — for tests that need raw access. */
  url: string;
  /** Pool as the owner; tenant transactions switch to the application role. */
  db: Database;
  metrics: Metrics;
  /**
   * Closes the pool and drops the database, unless a test of this file failed (then it is kept and
   * named on stderr); KEEP_TEST_DB=1 keeps it always.
   */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own. `migrate: false` gives an empty database. */
export async function createTestDatabase(
  options: { migrate?: boolean; pool?: Partial<PoolConfig> } = {},
): Promise<TestDatabase> {
  const name = `shannon_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  if (options.migrate === false) {
    await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  } else {
    const template = await ensureTemplate();
    await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  }
  const url = databaseUrl(name);
  const metrics = createMetrics();
  const db = new Database({
    connectionString: url,
    pool: testPoolConfig(options.pool),
    metrics,
    name: 'test',
  });
  let dropped = false;
  return {
    name,
    url,
    db,
    metrics,
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.close();
      if (outcome.running > 0) outcome.pending.push(() => dropOrKeep(name));
      else await dropOrKeep(name);
    },
  };
}

/** Creates a tenant (as the owner) and returns its id. */
export async function createTenant(db: Queryable, slug = `t-${randomUUID().slice(0, 8)}`): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO auth.tenants (name, slug) VALUES ($1, $2) RETURNING id`,
    [slug, slug],
  );
  return rows[0]!.id;
}

/** Creates a user of a tenant (as the owner) and returns its id. */
export async function createUser(db: Queryable, tenantId: string, externalId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO public.users (tenant_id, external_id) VALUES ($1, $2) RETURNING id`,
    [tenantId, externalId],
  );
  return rows[0]!.id;
}
