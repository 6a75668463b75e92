/**
 * The data layer behind a real PgBouncer (Debian's `pgbouncer`) in transaction mode, started by
 * this test on a free port in front of the test server. Connecting used to fail outright
 * ("unsupported startup parameter: statement_timeout"): the pool sent its statement_timeout at
 * connect time, and a transaction pooler cannot carry per-connection settings. With
 * PG_POOL_MODE=transaction each transaction sets its own timeout, and what needs one session
 * (migrations, the toolkit) goes to DATABASE_DIRECT_URL.
 *
 * Besides its own checks, it runs the integration files that write and read through HTTP and the
 * library (tasks, agent executions, token usage, sessions, memory, tenant isolation) with their
 * data layer behind the pooler (TEST_PGBOUNCER_PORT, read by server-harness.ts), and checks from
 * PgBouncer's own statistics that their traffic went through it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createDataLayer, type DataLayer } from '../../src/data-layer.js';
import { databaseUrl, TEST_SERVER_URL, withAdmin } from '../helpers/database.js';
import { PgBouncer } from '../helpers/pgbouncer.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** Integration files whose data layer runs behind the pooler in the first test. */
const THROUGH_POOLER = [
  'users.test.ts',
  'server-memory.test.ts',
  'server-isolation.test.ts',
  'server-sessions.test.ts',
  'memory-delete-filter.test.ts',
];

describe('behind PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer;
  const databases: string[] = [];
  const dirs: string[] = [];
  const layers: DataLayer[] = [];

  /** An empty database on the test server (dropped at the end). */
  async function emptyDatabase(): Promise<string> {
    const name = `shannon_pgb_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
    databases.push(name);
    return name;
  }

  function env(name: string, extra: Record<string, string> = {}): Record<string, string> {
    const dir = mkdtempSync(join(tmpdir(), 'shannon-pgb-'));
    dirs.push(dir);
    return {
      DATABASE_URL: bouncer.url(name),
      PG_POOL_MODE: 'transaction',
      DATABASE_DIRECT_URL: databaseUrl(name),
      SHANNON_DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      PG_HEALTH_PING_INTERVAL_MS: '0',
      VECTOR_DIMENSION: '8',
      ...extra,
    };
  }

  before(async () => {
    const server = new URL(TEST_SERVER_URL);
    bouncer = await PgBouncer.start({ targetHost: server.hostname, targetPort: Number(server.port || 5432) });
  });

  after(async () => {
    for (const layer of layers) await layer.close().catch(() => undefined);
    await bouncer?.stop();
    for (const name of databases)
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('the ingest, query, session and memory integration files pass with their data layer behind it', async () => {
    const stats = async () =>
      withAdmin(async (c) => {
        const { rows } = await c.query<{ database: string; total_xact_count: string }>('SHOW STATS');
        return rows
          .filter((r) => r.database.startsWith('shannon_test_'))
          .reduce((sum, r) => sum + Number(r.total_xact_count), 0);
      }, bouncer.url('pgbouncer'));
    const before = await stats();
    const files = THROUGH_POOLER.map((f) => join('test', 'integration', f));
    // A run of its own, not a subtest of this one: without the runner's context variable.
    const { NODE_TEST_CONTEXT: _context, ...inherited } = process.env;
    const childEnv = { ...inherited, TEST_PGBOUNCER_PORT: String(bouncer.port) };
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=dot', ...files], {
      cwd: ROOT,
      env: childEnv,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(run.status, 0, `${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
    // The totals are refreshed every stats_period (1 s here).
    await new Promise((r) => setTimeout(r, 2_000));
    const transactions = (await stats()) - before;
    console.log(
      `through PgBouncer: ${THROUGH_POOLER.length} files passed, ${transactions} transactions pooled`,
    );
    assert.ok(transactions > 100, `only ${transactions} transactions went through PgBouncer`);
  });

  it('three data layers starting at once on an empty database migrate it once, through the direct URL', async () => {
    const name = await emptyDatabase();
    const opened = await Promise.all([1, 2, 3].map(() => createDataLayer(loadConfig({ env: env(name) }))));
    layers.push(...opened);
    const files = readdirSync(join(ROOT, 'src', 'schema', 'migrations')).filter((f) => f.endsWith('.sql'));
    const applied = opened.flatMap((l) => l.migrations.filter((m) => m.outcome === 'applied'));
    assert.equal(applied.length, files.length, 'each migration applied by exactly one of the three');
    for (const layer of opened) assert.equal(await layer.migrationsCurrent(), true);
  });

  it('each transaction carries the statement timeout; nothing is left on the pooled connections', async () => {
    const name = await emptyDatabase();
    const layer = await createDataLayer(
      loadConfig({ env: env(name, { PG_QUERY_TIMEOUT_MS: '5000', PG_STATEMENT_TIMEOUT_MS: '7000' }) }),
    );
    layers.push(layer);
    const inside = await layer.db.withTransaction((tx) =>
      tx.query<{ statement_timeout: string }>('SHOW statement_timeout'),
    );
    assert.equal(inside.rows[0]!.statement_timeout, '7s');
    const pass = await layer.db.withTransaction((tx) => tx.query('SELECT pg_sleep(0.01)'));
    assert.equal(pass.rowCount, 1);
    // Outside a transaction, through the pooler: the server's default, so nothing leaked.
    const outside = await withAdmin(
      (c) =>
        c.query<{ statement_timeout: string; tenant: string | null }>(
          `SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('app.tenant_id', true) AS tenant`,
        ),
      bouncer.url(name),
    );
    assert.equal(outside.rows[0]!.statement_timeout, '0');
    assert.ok(
      ['', null].includes(outside.rows[0]!.tenant),
      `tenant setting leaked: ${outside.rows[0]!.tenant}`,
    );
  });

  it('without PG_POOL_MODE=transaction the pooler refuses the connection, and the error says why', async () => {
    const name = await emptyDatabase();
    const plain = env(name);
    delete plain['PG_POOL_MODE'];
    delete plain['DATABASE_DIRECT_URL'];
    await assert.rejects(createDataLayer(loadConfig({ env: plain })), {
      code: 'DB_UNAVAILABLE',
      message: /unsupported startup parameter: statement_timeout/,
    });
    const noDirect = env(name);
    delete noDirect['DATABASE_DIRECT_URL'];
    assert.throws(() => loadConfig({ env: noDirect }), {
      code: 'CONFIG_INVALID',
      message: /^DATABASE_DIRECT_URL: PG_POOL_MODE=transaction needs/,
    });
  });
});
