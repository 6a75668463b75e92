import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import { explainStatement } from '../../src/ops/explain.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

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
    assert.equal(await errorCode(explainStatement(t.db.pool, 'SELECT 1; SELECT 2')), 'UNSAFE_STATEMENT');
    assert.equal(await errorCode(explainStatement(t.db.pool, 'DELETE FROM ex_items')), 'UNSAFE_STATEMENT');
    assert.equal(await errorCode(explainStatement(t.db.pool, 'DROP TABLE ex_items')), 'UNSAFE_STATEMENT');
    assert.equal(await errorCode(explainStatement(t.db.pool, 'SELEC 1')), 'VALIDATION_FAILED');
  });

  it('an explained DELETE with --analyze runs, reports actual rows, and deletes nothing', async () => {
    const r = await explainStatement(t.db.pool, 'DELETE FROM ex_items WHERE grp < 50', { analyze: true });
    assert.equal(r.analyzed, true);
    assert.equal(r.kind, 'write');
    assert.ok(r.executionTimeMs !== null);
    const { rows } = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM ex_items');
    assert.equal(Number(rows[0]!.n), 20000);
  });

  it('summarises a sequential scan of a large table and the costliest node', async () => {
    const r = await explainStatement(t.db.pool, 'SELECT * FROM ex_items WHERE body LIKE $1', {
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
    const mis = await explainStatement(t.db.pool, 'SELECT * FROM ex_skew WHERE a = 1 AND b = 1', {
      analyze: true,
    });
    assert.ok(mis.summary.misestimates.length >= 1, JSON.stringify(mis.summary));
  });

  it('leaves no prepared statement or open transaction behind', async () => {
    // Explain on a connection that already holds someone else's prepared statement.
    const client = await t.db.pool.connect();
    try {
      await client.query(`PREPARE someone_elses AS SELECT 1`);
      const borrowed = new Proxy(client, {
        get: (target, key) => (key === 'release' ? () => undefined : Reflect.get(target, key, target)),
      });
      await explainStatement({ connect: async () => borrowed }, 'SELECT * FROM ex_items WHERE id = $1');
      const prepared = await client.query<{ name: string }>(
        'SELECT name FROM pg_prepared_statements ORDER BY name',
      );
      assert.deepEqual(
        prepared.rows.map((r) => r.name),
        ['someone_elses'],
        'only the explained statement was deallocated',
      );
      await client.query('DEALLOCATE someone_elses');
    } finally {
      client.release();
    }
    const { rows } = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    assert.equal(Number(rows[0]!.n), 0);
  });
});
