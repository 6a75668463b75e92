import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import { unsafeFunctions } from '../../src/ops/explain-functions.js';
import { analyzeStatement } from '../../src/ops/sql-statement.js';

async function code(sql: string): Promise<string | undefined> {
  try {
    await analyzeStatement(sql);
    return undefined;
  } catch (error) {
    return isShannonError(error) ? error.code : 'not-shannon';
  }
}

describe('analyzeStatement (real parser)', () => {
  it('refuses two statements, even hidden after a string or in a dollar quote', async () => {
    assert.equal(await code('SELECT 1; DELETE FROM t'), 'UNSAFE_STATEMENT');
    assert.equal(await code("SELECT ';'; DELETE FROM t"), 'UNSAFE_STATEMENT');
    assert.equal(await code('SELECT $$;$$; COMMIT'), 'UNSAFE_STATEMENT');
  });

  it('accepts semicolons inside strings, dollar quotes and comments as one statement', async () => {
    assert.equal((await analyzeStatement("SELECT ';' AS a")).kind, 'read');
    assert.equal((await analyzeStatement('SELECT $x$ ; DROP TABLE t; $x$')).kind, 'read');
    assert.equal((await analyzeStatement('SELECT 1 -- ; DROP TABLE t')).kind, 'read');
    assert.equal((await analyzeStatement('SELECT 1 /* ; DROP TABLE t */')).kind, 'read');
  });

  it('classifies writes: DML, data-modifying CTEs, SELECT INTO and FOR UPDATE', async () => {
    for (const sql of [
      'DELETE FROM t WHERE id = 1',
      'UPDATE t SET a = 1',
      'INSERT INTO t VALUES (1)',
      'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
      'SELECT * INTO t2 FROM t',
      'SELECT * FROM t FOR UPDATE',
    ]) {
      assert.equal((await analyzeStatement(sql)).kind, 'write', sql);
    }
    assert.equal((await analyzeStatement('SELECT * FROM t WHERE a = 1')).kind, 'read');
  });

  it('refuses utility statements and reports syntax errors as validation errors', async () => {
    assert.equal(await code('DROP TABLE t'), 'UNSAFE_STATEMENT');
    assert.equal(await code('COMMIT'), 'UNSAFE_STATEMENT');
    assert.equal(await code('EXPLAIN SELECT 1'), 'UNSAFE_STATEMENT');
    assert.equal(await code('SELEC 1'), 'VALIDATION_FAILED');
  });

  it('counts $n parameters and lists relations and columns', async () => {
    const info = await analyzeStatement(
      'SELECT a FROM public.t JOIN u ON u.id = t.uid WHERE t.b = $1 AND u.c > $3',
    );
    assert.equal(info.parameters, 3);
    assert.deepEqual(info.relations.sort(), ['public.t', 'u']);
    assert.ok(info.columns.includes('b') && info.columns.includes('c') && info.columns.includes('uid'));
    const del = await analyzeStatement('DELETE FROM event_logs WHERE tenant_id = $1');
    assert.deepEqual(del.relations, ['event_logs']);
  });

  it('lists every function called, wherever it hides, and picks out those off the allow-list', async () => {
    const info = await analyzeStatement(
      `SELECT count(*), EXTRACT(epoch FROM now()), x AT TIME ZONE 'UTC' FROM t, LATERAL unnest(t.a) u
        WHERE t.id IN (SELECT pg_terminate_backend(1)) AND t.b = (SELECT Public.Lo_Import('/etc/passwd'))`,
    );
    assert.deepEqual(info.functions.sort(), [
      'count',
      'now',
      'pg_catalog.extract',
      'pg_catalog.timezone',
      'pg_terminate_backend',
      'public.lo_import',
      'unnest',
    ]);
    assert.deepEqual(unsafeFunctions(info.functions).sort(), ['pg_terminate_backend', 'public.lo_import']);
    assert.deepEqual(unsafeFunctions(['pg_catalog.pg_read_file', 'pg_catalog.count', 'date_trunc']), [
      'pg_catalog.pg_read_file',
    ]);
    assert.deepEqual(unsafeFunctions(['set_config', 'dblink', 'lo_export', 'pg_sleep']).length, 4);
  });
});
