import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDatabaseError, isShannonError } from '../../src/errors/errors.js';
import { Database } from '../../src/postgres/database.js';
import { createTenant, createTestDatabase, type TestDatabase, testPoolConfig } from '../helpers/database.js';

describe('Database', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase({ pool: { max: 4 } });
    await t.db.query('CREATE TABLE tx_probe (id int PRIMARY KEY, note text)');
  });
  after(() => t.drop());

  it('commits when the callback resolves', async () => {
    await t.db.withTransaction(async (tx) => {
      await tx.query('INSERT INTO tx_probe VALUES (1, $1)', ['kept']);
    });
    const { rows } = await t.db.query('SELECT note FROM tx_probe WHERE id = 1');
    assert.deepEqual(rows, [{ note: 'kept' }]);
  });

  it('rolls back on a thrown error and on a rejected promise', async () => {
    await assert.rejects(
      t.db.withTransaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (2, $1)', ['thrown']);
        throw new Error('boom');
      }),
      /boom/,
    );
    await assert.rejects(
      t.db.withTransaction((tx) =>
        tx
          .query('INSERT INTO tx_probe VALUES (3, $1)', ['rejected'])
          .then(() => Promise.reject(new Error('nope'))),
      ),
      /nope/,
    );
    const { rows } = await t.db.query<{ id: number }>('SELECT id FROM tx_probe WHERE id IN (2, 3)');
    assert.equal(rows.length, 0);
  });

  it('leaks no client after 1,000 failing transactions', async () => {
    for (let i = 0; i < 1000; i++) {
      const failure =
        i % 3 === 0
          ? t.db.withTransaction(async () => {
              throw new Error('thrown');
            })
          : i % 3 === 1
            ? t.db.withTransaction((tx) => tx.query('SELECT * FROM no_such_table'))
            : t.db.withTransaction(async (tx) => {
                await tx.query('INSERT INTO tx_probe VALUES (1, $1)', ['duplicate key']);
              });
      await assert.rejects(failure);
    }
    const stats = t.db.stats();
    assert.equal(stats.inUse, 0, 'no client is checked out');
    assert.equal(stats.waiting, 0);
    assert.ok(stats.total <= 4);
    // The pool still works at full width: 4 concurrent transactions each hold a client.
    const held = await Promise.all(
      Array.from({ length: 4 }, () =>
        t.db.withTransaction((tx) =>
          tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)'),
        ),
      ),
    );
    assert.equal(new Set(held.map((r) => r.rows[0]!.pid)).size, 4);
  });

  it('does not count client errors against the breaker', async () => {
    for (let i = 0; i < 20; i++) {
      await assert.rejects(t.db.query('SELECT * FROM no_such_table'), (e: unknown) => isDatabaseError(e));
    }
    assert.equal(t.db.writeBreaker.state, 'closed');
  });

  it('sets the tenant per transaction so row-level security applies', async () => {
    const a = await createTenant(t.db);
    const b = await createTenant(t.db);
    await t.db.query(
      `INSERT INTO public.users (tenant_id, external_id) VALUES ($1, 'user-a'), ($2, 'user-b')`,
      [a, b],
    );
    const seenByA = await t.db.withTenant(a, (tx) =>
      tx.query<{ external_id: string; role: string }>(
        'SELECT external_id, current_user AS role FROM public.users',
      ),
    );
    assert.deepEqual(
      seenByA.rows.map((r) => r.external_id),
      ['user-a'],
    );
    assert.equal(seenByA.rows[0]!.role, 'shannon_app');
    // The setting is transaction-scoped: the next transaction on the same pool starts clean.
    const outside = await t.db.withTransaction((tx) =>
      tx.query<{ v: string | null }>(`SELECT current_setting('app.tenant_id', true) AS v`),
    );
    assert.ok(outside.rows[0]!.v === null || outside.rows[0]!.v === '');
    await assert.rejects(
      t.db.withTenant('not-a-uuid', (tx) => tx.query('SELECT 1')),
      (e: unknown) => isShannonError(e) && e.code === 'VALIDATION_FAILED' && e.field === 'tenantId',
    );
  });

  it('fails with DB_UNAVAILABLE when nothing listens, and opens the breaker', async () => {
    const db = new Database({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      pool: testPoolConfig({ connectTimeoutMs: 1000, queryTimeoutMs: 2000 }),
      breakerFailureThreshold: 3,
    });
    try {
      for (let i = 0; i < 3; i++) {
        await assert.rejects(
          db.query('SELECT 1'),
          (e: unknown) => isShannonError(e) && e.code === 'DB_UNAVAILABLE',
        );
      }
      assert.equal(db.writeBreaker.state, 'open');
      await assert.rejects(
        db.query('SELECT 1'),
        (e: unknown) => isShannonError(e) && e.code === 'BREAKER_OPEN',
      );
    } finally {
      await db.close();
    }
  });

  it('a connection terminated by the server mid-query is DB_UNAVAILABLE (503), not DB_QUERY_FAILED', async () => {
    const running = t.db.query('SELECT pg_sleep(10)', [], { operation: 'probe.sleep' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    let terminated = 0;
    for (let i = 0; i < 100 && terminated === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      const { rows } = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query = 'SELECT pg_sleep(10)' AND pid <> pg_backend_pid()) x`,
      );
      terminated = rows[0]!.n;
    }
    assert.equal(terminated, 1);
    const error = await running;
    assert.ok(isDatabaseError(error), String(error));
    assert.equal(error.code, 'DB_UNAVAILABLE');
    assert.equal(error.sqlstate, '57P01');
    assert.equal(error.status, 503);
  });
});
