import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES, isShannonError } from '../../src/errors/errors.js';
import { explainStatement } from '../../src/ops/explain.js';
import type { SessionSource } from '../../src/postgres/queryable.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

/** The error a call fails with, or undefined when it succeeds. */
async function failure(
  p: Promise<unknown>,
): Promise<
  { code: string; message: string; details?: Record<string, unknown>; cause?: unknown } | undefined
> {
  try {
    await p;
    return undefined;
  } catch (error) {
    if (!isShannonError(error)) throw error;
    return {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      cause: error.cause,
    };
  }
}

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'none';
  } catch (error) {
    return isShannonError(error) ? error.code : String(error);
  }
}

describe('explain', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
    await t.db.query(`CREATE TABLE ex_items (id int PRIMARY KEY, grp int NOT NULL, body text NOT NULL)`);
    await t.db.query(`INSERT INTO ex_items SELECT g, g % 100, md5(g::text) FROM generate_series(1, 20000) g`);
    await t.db.query('ANALYZE ex_items');
  });
  after(async () => t?.drop());

  it('refuses two statements and a write without --analyze', async () => {
    assert.equal(await errorCode(explainStatement(t.db, 'SELECT 1; SELECT 2')), 'UNSAFE_STATEMENT');
    assert.equal(await errorCode(explainStatement(t.db, 'DELETE FROM ex_items')), 'UNSAFE_STATEMENT');
    assert.equal(await errorCode(explainStatement(t.db, 'DROP TABLE ex_items')), 'UNSAFE_STATEMENT');
    assert.equal(await errorCode(explainStatement(t.db, 'SELEC 1')), 'VALIDATION_FAILED');
  });

  it('an explained DELETE with --analyze runs, reports actual rows, and deletes nothing', async () => {
    const r = await explainStatement(t.db, 'DELETE FROM ex_items WHERE grp < 50', { analyze: true });
    assert.equal(r.analyzed, true);
    assert.equal(r.kind, 'write');
    assert.ok(r.executionTimeMs !== null);
    const { rows } = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM ex_items');
    assert.equal(Number(rows[0]!.n), 20000);
  });

  it('summarises a sequential scan of a large table and the costliest node', async () => {
    const r = await explainStatement(t.db, 'SELECT * FROM ex_items WHERE body LIKE $1', {
      largeTableRows: 10000,
    });
    assert.equal(r.genericPlan, true);
    assert.equal(r.parameters, 1);
    assert.equal(r.summary.seqScansOfLargeTables[0]?.relation, 'ex_items');
    assert.equal(r.summary.costliestNode?.relation, 'ex_items');
  });

  it('reports a row misestimate under ANALYZE', async () => {
    await t.db.query(`CREATE TABLE ex_skew (a int, b int)`);
    await t.db.query(`INSERT INTO ex_skew SELECT g % 100, g % 100 FROM generate_series(1, 20000) g`);
    await t.db.query('ANALYZE ex_skew');
    // a and b are perfectly correlated; the planner multiplies selectivities and expects 2 rows, gets 200.
    const mis = await explainStatement(t.db, 'SELECT * FROM ex_skew WHERE a = 1 AND b = 1', {
      analyze: true,
    });
    assert.ok(mis.summary.misestimates.length >= 1, JSON.stringify(mis.summary));
  });

  it('refuses functions a rollback cannot undo, naming them, and leaves other sessions alive', async () => {
    await t.db.withSession(
      async (other) => {
        const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        for (const sql of [
          `SELECT pg_terminate_backend(${pid})`,
          `SELECT pg_catalog.pg_terminate_backend(${pid}) FROM ex_items WHERE id = 1`,
          `SELECT * FROM ex_items WHERE id IN (SELECT pg_terminate_backend(${pid}))`,
        ]) {
          const refused = await failure(explainStatement(t.db, sql, { analyze: true }));
          assert.equal(refused?.code, 'UNSAFE_STATEMENT', sql);
          assert.match(refused!.message, /pg_terminate_backend/);
          assert.ok(ERROR_CODES[refused!.code as 'UNSAFE_STATEMENT'].status < 500);
        }
        const lo = await failure(
          explainStatement(t.db, `SELECT lo_import('/etc/hostname')`, { analyze: true }),
        );
        assert.equal(lo?.code, 'UNSAFE_STATEMENT');
        assert.deepEqual(lo?.details?.['functions'], ['lo_import']);
        // Schema-qualified user functions are not the built-ins of the same name.
        await t.db.query(`CREATE FUNCTION public.count(int) RETURNS int LANGUAGE sql AS 'SELECT 1'`);
        assert.equal(
          await errorCode(explainStatement(t.db, 'SELECT public.count(id) FROM ex_items')),
          'UNSAFE_STATEMENT',
        );
        // The operator may allow them.
        const allowed = await explainStatement(t.db, 'SELECT public.count(id) FROM ex_items', {
          allowFunctions: true,
        });
        assert.equal(allowed.kind, 'read');
        assert.equal((await other.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1, 'still alive');
      },
      { operation: 'test.other_session' },
    );
  });

  it('still explains ordinary aggregates and date functions, under ANALYZE too', async () => {
    const r = await explainStatement(
      t.db,
      `SELECT date_trunc('day', now() - grp * interval '1 hour') AS day, count(*), sum(grp), max(length(body))
         FROM ex_items WHERE id > $1 GROUP BY 1 ORDER BY 1`,
    );
    assert.equal(r.genericPlan, true);
    const analyzed = await explainStatement(
      t.db,
      `SELECT to_char(date_trunc('month', now()), 'YYYY-MM'), extract(epoch FROM now()), count(*) FROM ex_items`,
      { analyze: true },
    );
    assert.equal(analyzed.analyzed, true);
    assert.equal(analyzed.role, 'shannon_app');
  });

  it('runs ANALYZE as the application role: what it may not do, the explained statement may not either', async () => {
    await createTenant(t.db, 'role-check');
    // The owner could delete tenants (and the rollback would hide it); shannon_app may only read them.
    const refused = await failure(explainStatement(t.db, 'DELETE FROM auth.tenants', { analyze: true }));
    assert.equal(refused?.code, 'DB_QUERY_FAILED');
    assert.equal(refused?.details?.['sqlstate'], '42501');
  });

  it('never echoes values from the database in its error', async () => {
    await createTenant(t.db, 'confidential-tenant-name');
    const secret = (await t.db.query<{ body: string }>('SELECT body FROM ex_items WHERE id = 7')).rows[0]!
      .body;
    for (const [sql, value] of [
      ['SELECT (SELECT body FROM ex_items WHERE id = 7)::int', secret],
      [
        `SELECT (SELECT name FROM auth.tenants WHERE slug = 'confidential-tenant-name')::int`,
        'confidential-tenant-name',
      ],
    ] as const) {
      const err = await failure(explainStatement(t.db, sql, { analyze: true }));
      assert.equal(err?.code, 'DB_QUERY_FAILED', sql);
      assert.equal(err?.details?.['sqlstate'], '22P02');
      assert.ok(!JSON.stringify(err).includes(value), JSON.stringify(err));
      assert.ok(!err!.message.includes(value));
      assert.equal(err?.cause, undefined, 'the server error is not kept as the cause either');
    }
  });

  it('leaves no prepared statement or open transaction behind', async () => {
    // Explain on a connection that already holds someone else's prepared statement.
    await t.db.withSession(
      async (session) => {
        await session.query(`PREPARE someone_elses AS SELECT 1`);
        const borrowed: SessionSource = { withSession: (fn) => fn(session) };
        await explainStatement(borrowed, 'SELECT * FROM ex_items WHERE id = $1');
        const prepared = await session.query<{ name: string }>(
          'SELECT name FROM pg_prepared_statements ORDER BY name',
        );
        assert.deepEqual(
          prepared.rows.map((r) => r.name),
          ['someone_elses'],
          'only the explained statement was deallocated',
        );
        await session.query('DEALLOCATE someone_elses');
      },
      { operation: 'test.borrowed_session' },
    );
    const { rows } = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    assert.equal(Number(rows[0]!.n), 0);
  });
});
