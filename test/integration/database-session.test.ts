import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Database } from '../../src/postgres/database.js';
import type { Session } from '../../src/postgres/queryable.js';
import { migrateDatabase } from '../../src/schema/migrator.js';
import { createTestDatabase, type TestDatabase, testPoolConfig } from '../helpers/database.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isShannonError(error) ? error.code : `not a ShannonError: ${String(error)}`;
  }
}

const PID_SQL = 'SELECT pg_backend_pid() AS pid';

describe('Database.withSession', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase({ migrate: false, pool: { max: 1 } });
  });
  after(() => t.drop());

  it('holds one connection for the whole callback', async () => {
    const pids = await t.db.withSession(
      async (s) => {
        await s.query(`SELECT set_config('app.probe', 'kept', false)`);
        const a = await s.query<{ pid: number }>(PID_SQL);
        const b = await s.query<{ pid: number; probe: string }>(
          `SELECT pg_backend_pid() AS pid, current_setting('app.probe') AS probe`,
        );
        assert.equal(b.rows[0]!.probe, 'kept', 'a session setting survives between statements');
        return [a.rows[0]!.pid, b.rows[0]!.pid];
      },
      { operation: 'test.session' },
    );
    assert.equal(pids[0], pids[1]);
  });

  it('destroys the connection when the callback throws, so nothing it left behind is reused', async () => {
    let pid = 0;
    await assert.rejects(
      t.db.withSession(
        async (s) => {
          pid = (await s.query<{ pid: number }>(PID_SQL)).rows[0]!.pid;
          await s.query(`SELECT set_config('app.left_behind', 'yes', false)`);
          throw new Error('boom');
        },
        { operation: 'test.session' },
      ),
      /boom/,
    );
    // The pool holds one connection: the next statement gets a fresh backend.
    const { rows } = await t.db.query<{ pid: number; left: string | null }>(
      `SELECT pg_backend_pid() AS pid, current_setting('app.left_behind', true) AS left`,
    );
    assert.notEqual(rows[0]!.pid, pid);
    assert.ok(rows[0]!.left === null || rows[0]!.left === '', JSON.stringify(rows[0]));
  });

  it('refuses a handle kept past its callback', async () => {
    let kept: Session | undefined;
    await t.db.withSession(
      async (s) => {
        kept = s;
      },
      { operation: 'test.session' },
    );
    assert.equal(await codeOf(kept!.query('SELECT 1')), 'INTERNAL');
  });

  it('times out a statement past its deadline with DB_TIMEOUT, measured as a timeout', async () => {
    const started = performance.now();
    const code = await codeOf(
      t.db.withSession((s) => s.query('SELECT pg_sleep(5)'), {
        operation: 'test.session_timeout',
        timeoutMs: 200,
      }),
    );
    assert.equal(code, 'DB_TIMEOUT');
    assert.ok(performance.now() - started < 2_000, 'the client deadline fired, not the sleep');
    const metric = await t.metrics.dbQueryDuration.get();
    const count = metric.values.find(
      (v) =>
        v.metricName === 'shannon_db_query_duration_seconds_count' &&
        v.labels['operation'] === 'test.session_timeout' &&
        v.labels['outcome'] === 'timeout',
    );
    assert.equal(count?.value, 1);
    // The timed-out connection was destroyed; the pool still answers.
    assert.equal((await t.db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
  });

  it('by default lets a statement run as long as the pool statement_timeout allows, not just the query timeout', async () => {
    const db = new Database({
      connectionString: t.url,
      pool: testPoolConfig({ max: 1, queryTimeoutMs: 200, statementTimeoutMs: 2_000 }),
      metrics: createMetrics(),
      name: 'session_default',
    });
    try {
      const { rows } = await db.withSession(
        (s) => s.query<{ ok: boolean }>('SELECT pg_sleep(0.5), true AS ok'),
        {
          operation: 'test.session_default',
        },
      );
      assert.equal(rows[0]!.ok, true);
      // The server's own statement_timeout still applies.
      assert.equal(
        await codeOf(
          db.withSession((s) => s.query('SELECT pg_sleep(5)'), { operation: 'test.session_default' }),
        ),
        'DB_TIMEOUT',
      );
    } finally {
      await db.close();
    }
  });
});

describe('migrateDatabase', () => {
  let t: TestDatabase;
  let dir: string;
  before(async () => {
    t = await createTestDatabase({ migrate: false });
    dir = mkdtempSync(join(tmpdir(), 'shannon-slow-migration-'));
    writeFileSync(join(dir, '0001_slow.sql'), 'CREATE TABLE slow_probe (id int);\nSELECT pg_sleep(0.8);\n');
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.drop();
  });

  it('is not cut by the pool statement_timeout or the query timeout, and restores the timeout', async () => {
    const db = new Database({
      connectionString: t.url,
      pool: testPoolConfig({ max: 1, queryTimeoutMs: 300, statementTimeoutMs: 300 }),
      metrics: createMetrics(),
      name: 'migrate_probe',
    });
    try {
      const results = await migrateDatabase(db, { dir });
      assert.deepEqual(
        results.map((r) => [r.name, r.outcome]),
        [['slow', 'applied']],
      );
      // One connection in the pool: the one the migration used, back with its statement_timeout.
      const { rows } = await db.query<{ statement_timeout: string }>('SHOW statement_timeout');
      assert.equal(rows[0]!.statement_timeout, '300ms');
    } finally {
      await db.close();
    }
  });
});
