/**
 * Online conversion of tables whose key is a serial column. A 60,000-row `bigserial` table used to
 * have every row moved and then fail at the finish ("cannot drop table … because other objects
 * depend on it": the sequence was owned by the old table), and INSERTs through the view that left
 * out `id` failed. Identity columns used to be refused; now they are carried over. A table with an
 * incoming foreign key is refused before anything changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { convertToPartitioned } from '../../src/ops/partition-conversion.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('partition conversion of serial, identity and referenced tables', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
  });
  after(async () => t?.drop());

  it('converts a bigserial table: rows kept, defaults on the view and the new table, the sequence handed over', async () => {
    await t.db.query(
      `CREATE TABLE conv_serial (id bigserial PRIMARY KEY, at timestamptz NOT NULL, body text NOT NULL DEFAULT 'none')`,
    );
    await t.db.query(
      `INSERT INTO conv_serial (at, body) SELECT timestamptz '2026-08-01' + (g % 90) * interval '1 day', 'old' FROM generate_series(1, 60000) g`,
    );
    const first = await convertToPartitioned(t.db, t.db, {
      table: 'conv_serial',
      column: 'at',
      batchSize: 10_000,
      maxBatches: 1,
    });
    assert.equal(first.state, 'moving');
    // Through the view, during the move: id and body from their defaults.
    const during = await t.db.query<{ id: string; body: string }>(
      `INSERT INTO conv_serial (at) VALUES (now()) RETURNING id, body`,
    );
    assert.equal(during.rows[0]!.id, '60001');
    assert.equal(during.rows[0]!.body, 'none');

    const done = await convertToPartitioned(t.db, t.db, {
      table: 'conv_serial',
      column: 'at',
      batchSize: 10_000,
    });
    assert.equal(done.state, 'done');
    const after = await t.db.query<{ id: string }>(
      `INSERT INTO conv_serial (at) VALUES (now()) RETURNING id`,
    );
    assert.equal(after.rows[0]!.id, '60002');
    const { rows } = await t.db.query<{ n: string; ids: string; kind: string; owner: string }>(
      `SELECT (SELECT count(*) FROM conv_serial) AS n,
              (SELECT count(DISTINCT id) FROM conv_serial) AS ids,
              (SELECT relkind::text FROM pg_class WHERE oid = 'conv_serial'::regclass) AS kind,
              (SELECT d.refobjid::regclass::text FROM pg_depend d
                WHERE d.objid = 'conv_serial_id_seq'::regclass AND d.deptype = 'a') AS owner`,
    );
    assert.deepEqual(rows[0], { n: '60002', ids: '60002', kind: 'p', owner: 'conv_serial' });
    assert.equal((await t.db.query(`SELECT to_regclass('conv_serial_legacy') AS r`)).rows[0]!['r'], null);
  });

  it('converts a GENERATED ALWAYS identity table: rows kept, the identity and its sequence recreated where they stood', async () => {
    await t.db.query(
      `CREATE TABLE conv_ident (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1000 INCREMENT BY 5) PRIMARY KEY,
                                at timestamptz NOT NULL, body text NOT NULL DEFAULT 'none')`,
    );
    await t.db.query(
      `INSERT INTO conv_ident (at, body) SELECT timestamptz '2026-08-01' + (g % 90) * interval '1 day', 'old' FROM generate_series(1, 20000) g`,
    );
    const before = await t.db.query<{ sum: string }>(`SELECT sum(id)::text AS sum FROM conv_ident`);
    const first = await convertToPartitioned(t.db, t.db, {
      table: 'conv_ident',
      column: 'at',
      batchSize: 5_000,
      maxBatches: 1,
    });
    assert.equal(first.state, 'moving');
    // Through the view, during the move: the id comes from the identity's sequence.
    const during = await t.db.query<{ id: string; body: string }>(
      `INSERT INTO conv_ident (at) VALUES (now()) RETURNING id, body`,
    );
    assert.deepEqual(during.rows[0], { id: String(1000 + 20000 * 5), body: 'none' });

    const done = await convertToPartitioned(t.db, t.db, {
      table: 'conv_ident',
      column: 'at',
      batchSize: 5_000,
    });
    assert.equal(done.state, 'done');
    const after = await t.db.query<{ id: string }>(`INSERT INTO conv_ident (at) VALUES (now()) RETURNING id`);
    assert.equal(after.rows[0]!.id, String(1000 + 20001 * 5));
    // GENERATED ALWAYS again: an explicit id is refused as it was before the conversion.
    await assert.rejects(t.db.query(`INSERT INTO conv_ident (id, at) VALUES (1, now())`), {
      sqlstate: '428C9',
    });
    const { rows } = await t.db.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM conv_ident) AS n,
              (SELECT (sum(id) - $1::numeric)::text FROM conv_ident WHERE body = 'old') AS sum_delta,
              (SELECT relkind::text FROM pg_class WHERE oid = 'conv_ident'::regclass) AS kind,
              (SELECT attidentity::text FROM pg_attribute WHERE attrelid = 'conv_ident'::regclass AND attname = 'id') AS identity,
              pg_get_serial_sequence('conv_ident', 'id') AS sequence,
              (SELECT seqincrement::text || '/' || seqstart::text FROM pg_sequence
                WHERE seqrelid = pg_get_serial_sequence('conv_ident', 'id')::regclass) AS settings`,
      [before.rows[0]!.sum],
    );
    assert.deepEqual(rows[0], {
      n: '20002',
      sum_delta: '0',
      kind: 'p',
      identity: 'a',
      sequence: 'public.conv_ident_id_seq',
      settings: '5/1000',
    });
    assert.equal((await t.db.query(`SELECT to_regclass('conv_ident_legacy') AS r`)).rows[0]!['r'], null);
  });

  it('refuses a table with an incoming foreign key before any change', async () => {
    await t.db.query(`CREATE TABLE conv_parent (id bigint PRIMARY KEY, at timestamptz NOT NULL)`);
    await t.db.query(
      `CREATE TABLE conv_child (id bigint PRIMARY KEY, parent bigint REFERENCES conv_parent (id))`,
    );
    await assert.rejects(convertToPartitioned(t.db, t.db, { table: 'conv_parent', column: 'at' }), {
      code: 'VALIDATION_FAILED',
      field: 'table',
      message: /referenced by foreign keys/,
    });
    const { rows } = await t.db.query<{ relname: string; relkind: string }>(
      `SELECT relname, relkind::text FROM pg_class WHERE relname LIKE 'conv_parent%' ORDER BY relname`,
    );
    assert.deepEqual(
      rows.filter((r) => r.relkind !== 'i'),
      [{ relname: 'conv_parent', relkind: 'r' }],
    );
  });
});
