/**
 * Partition maintenance and online conversion (issue 6 acceptance): a 1M-row table converted to
 * monthly partitions keeps every row and serves reads during the move; interrupted and resumed it
 * still keeps every row. Maintain creates months ahead and empties a default partition.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { convertToPartitioned } from '../../src/ops/partition-conversion.js';
import { maintainPartitions, partitionStatus, planPartitions } from '../../src/ops/partitions.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('partitions', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
  });
  after(async () => t?.drop());

  it('status shows the migrated tables covered; maintain fills months ahead and empties the default', async () => {
    await t.db.query(
      `CREATE TABLE pm_events (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`,
    );
    await t.db.query(`CREATE TABLE pm_events_default PARTITION OF pm_events DEFAULT`);
    await t.db.query(
      `INSERT INTO pm_events SELECT g, now() + (g % 3) * interval '1 month' FROM generate_series(1, 300) g`,
    );
    const before = (await partitionStatus(t.db)).find((s) => s.table === 'pm_events')!;
    assert.equal(before.defaultRows, 300);
    assert.equal(before.missingAhead.length, 4);
    const migrated = (await partitionStatus(t.db)).find((s) => s.table === 'event_logs');
    assert.ok(migrated !== undefined && migrated.defaultRows === 0);
    const plan = await planPartitions(t.db);
    assert.equal(plan.filter((a) => a.table === 'pm_events' && a.action === 'move_default_rows').length, 3);
    const result = await maintainPartitions(t.db, t.db);
    assert.deepEqual(result.failed, []);
    const after = (await partitionStatus(t.db)).find((s) => s.table === 'pm_events')!;
    assert.equal(after.defaultRows, 0);
    assert.deepEqual(after.missingAhead, []);
    const { rows } = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM pm_events');
    assert.equal(Number(rows[0]!.n), 300);
    // Idempotent: nothing left to do.
    assert.equal((await planPartitions(t.db)).filter((a) => a.table === 'pm_events').length, 0);
  });

  it('converts a 1M-row table online: every row kept, reads served during the move, resumable', async () => {
    await t.db.query(
      `CREATE TABLE conv_log (id bigint PRIMARY KEY, at timestamptz NOT NULL, body text NOT NULL)`,
    );
    await t.db.query(
      `INSERT INTO conv_log SELECT g, timestamptz '2026-06-01' + (g % 150) * interval '1 day', 'b' || g
         FROM generate_series(1, 1000000) g`,
    );
    await t.db.query('CREATE INDEX conv_log_at_idx ON conv_log (at)');
    const { rows: sumRows } = await t.db.query<{ s: string }>('SELECT sum(id)::text AS s FROM conv_log');
    const expectedSum = sumRows[0]!.s;

    // A reader that keeps counting through the original name while the rows move.
    let reading = true;
    const counts: number[] = [];
    const reader = (async () => {
      while (reading) {
        const { rows } = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM conv_log');
        counts.push(Number(rows[0]!.n));
        // Leave the two shared cores to the mover between reads.
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Interrupted: a crash after the second batch (the progress callback throws).
    let batches = 0;
    await assert.rejects(
      convertToPartitioned(t.db, t.db, {
        table: 'conv_log',
        column: 'at',
        batchSize: 100_000,
        onProgress: () => {
          batches++;
          if (batches === 2) throw new Error('simulated crash');
        },
      }),
      /simulated crash/,
    );
    const mid = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM conv_log');
    assert.equal(Number(mid.rows[0]!.n), 1_000_000);
    // Resumed: finishes the move and swaps names.
    const result = await convertToPartitioned(t.db, t.db, {
      table: 'conv_log',
      column: 'at',
      batchSize: 100_000,
    });
    reading = false;
    await reader;
    assert.equal(result.state, 'done');
    assert.equal(result.rowsMoved, 1_000_000);
    assert.ok(counts.length >= 2, `reader ran ${counts.length} times`);
    assert.ok(
      counts.every((c) => c === 1_000_000),
      `a read saw ${counts.find((c) => c !== 1_000_000)} rows`,
    );
    const { rows } = await t.db.query<{ n: string; s: string; kind: string }>(
      `SELECT count(*) AS n, sum(id)::text AS s, (SELECT relkind::text FROM pg_class WHERE oid = 'conv_log'::regclass) AS kind FROM conv_log`,
    );
    assert.equal(Number(rows[0]!.n), 1_000_000);
    assert.equal(rows[0]!.s, expectedSum);
    assert.equal(rows[0]!.kind, 'p');
    const status = (await partitionStatus(t.db)).find((s) => s.table === 'conv_log')!;
    assert.equal(status.defaultRows, 0);
    assert.ok(status.partitions >= 5);
  });

  it('keeps writes made through the original name during the move', async () => {
    await t.db.query(
      `CREATE TABLE conv_w (id bigint PRIMARY KEY, at timestamptz NOT NULL, body text NOT NULL)`,
    );
    await t.db.query(
      `INSERT INTO conv_w SELECT g, timestamptz '2026-08-01' + (g % 60) * interval '1 day', 'old' FROM generate_series(1, 50000) g`,
    );
    // Start the conversion and stop after one batch, so the view and both tables are in place.
    const first = await convertToPartitioned(t.db, t.db, {
      table: 'conv_w',
      column: 'at',
      batchSize: 5000,
      maxBatches: 1,
    });
    assert.equal(first.state, 'moving');
    const writer = (async () => {
      for (let i = 0; i < 100; i++) {
        await t.db.query(`INSERT INTO conv_w VALUES ($1, now(), 'new')`, [100_000 + i]);
        await t.db.query(`UPDATE conv_w SET body = 'updated' WHERE id = $1`, [40_000 + i]);
        await t.db.query(`DELETE FROM conv_w WHERE id = $1`, [45_000 + i]);
      }
    })();
    const done = convertToPartitioned(t.db, t.db, { table: 'conv_w', column: 'at', batchSize: 5000 });
    await writer;
    assert.equal((await done).state, 'done');
    const { rows } = await t.db.query<{ n: string; updated: string; fresh: string; gone: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE body = 'updated') AS updated,
              count(*) FILTER (WHERE body = 'new') AS fresh,
              count(*) FILTER (WHERE id BETWEEN 45000 AND 45099) AS gone FROM conv_w`,
    );
    assert.deepEqual(rows[0], { n: '50000', updated: '100', fresh: '100', gone: '0' });
  });

  it('carries grants and row-level security over to the partitioned table', async () => {
    const a = await createTenant(t.db);
    const b = await createTenant(t.db);
    await t.db.query(
      `CREATE TABLE conv_rls (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, at timestamptz NOT NULL)`,
    );
    await t.db.query(`SELECT public.shannon_enable_tenant_rls('conv_rls')`);
    await t.db.query(`GRANT SELECT, INSERT ON conv_rls TO shannon_app`);
    await t.db.query(
      `INSERT INTO conv_rls SELECT g, CASE WHEN g % 3 = 0 THEN $1::uuid ELSE $2::uuid END, now() - (g % 40) * interval '1 day'
         FROM generate_series(1, 3000) g`,
      [a, b],
    );
    const countAs = (tenant: string) =>
      t.db.withTenant(tenant, async (tx) =>
        Number((await tx.query<{ n: string }>('SELECT count(*) AS n FROM conv_rls')).rows[0]!.n),
      );
    const half = await convertToPartitioned(t.db, t.db, {
      table: 'conv_rls',
      column: 'at',
      batchSize: 1000,
      maxBatches: 1,
    });
    assert.equal(half.state, 'moving');
    assert.deepEqual([await countAs(a), await countAs(b)], [1000, 2000], 'through the view mid-move');
    const done = await convertToPartitioned(t.db, t.db, {
      table: 'conv_rls',
      column: 'at',
      batchSize: 1000,
    });
    assert.equal(done.state, 'done');
    assert.deepEqual([await countAs(a), await countAs(b)], [1000, 2000], 'after the swap');
    const { rows } = await t.db.query<{ direct: boolean }>(
      `SELECT bool_or(has_table_privilege('shannon_app', inhrelid, 'SELECT')) AS direct FROM pg_inherits WHERE inhparent = 'conv_rls'::regclass`,
    );
    assert.equal(rows[0]!.direct, false, 'partitions are reached through the parent only');
  });
});
