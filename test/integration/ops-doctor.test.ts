/**
 * Planted-problems test for the doctor and the index advisor (issue 6 acceptance): every planted
 * problem is reported with its code, the advisor proposes the missing index with a hypopg-proven
 * cost drop of at least half and nothing an existing index covers, and a clean freshly migrated
 * database reports no warnings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SMALL_SEED, seedDatabase } from '../../src/devtools/seed/seed-database.js';
import { QdrantBackend } from '../../src/memory/qdrant/qdrant-backend.js';
import { runDoctor } from '../../src/ops/doctor.js';
import { checkVectorCollections } from '../../src/ops/doctor-vector.js';
import type { Finding } from '../../src/ops/finding.js';
import { adviseIndexes } from '../../src/ops/index-advisor.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { QdrantContractServer } from '../helpers/qdrant-contract-server.js';

const PLANT = `
CREATE TABLE planted_orders (id int PRIMARY KEY, customer_ref int NOT NULL, note text NOT NULL);
INSERT INTO planted_orders SELECT g, g % 5000, 'note ' || g FROM generate_series(1, 60000) g;
CREATE INDEX planted_orders_note_idx ON planted_orders (note);
CREATE INDEX planted_orders_note_copy_idx ON planted_orders (note);
CREATE TABLE planted_lines (id int PRIMARY KEY, order_id int NOT NULL REFERENCES planted_orders (id));
ALTER TABLE planted_lines ADD CONSTRAINT planted_lines_id_positive CHECK (id > 0) NOT VALID;
CREATE TABLE planted_bloat (id int PRIMARY KEY, filler text NOT NULL) WITH (autovacuum_enabled = false);
INSERT INTO planted_bloat SELECT g, repeat('x', 200) FROM generate_series(1, 60000) g;
DELETE FROM planted_bloat WHERE id % 20 <> 0;
CREATE TABLE planted_events (id bigint NOT NULL, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
CREATE TABLE planted_events_default PARTITION OF planted_events DEFAULT;
CREATE TABLE planted_events_now PARTITION OF planted_events
  FOR VALUES FROM (date_trunc('month', now())) TO (date_trunc('month', now()) + interval '1 month');
INSERT INTO planted_events VALUES (1, now() + interval '3 months');
`;

const PLANTED_QUERY = 'SELECT id, note FROM planted_orders WHERE customer_ref = $1';

function codes(findings: Finding[]): Set<string> {
  return new Set(findings.filter((f) => f.severity !== 'info').map((f) => f.code));
}

describe('doctor and advise on a planted database', () => {
  let t: TestDatabase;
  let idle: pg.Client;
  let qdrant: QdrantContractServer;

  before(async () => {
    t = await createTestDatabase();
    // A collection created the way one of the original's scripts did it: no payload indexes.
    qdrant = await new QdrantContractServer('v1.15.x').start();
    qdrant.collections.set('task_embeddings_v1', {
      params: { vectors: { size: 8, distance: 'Cosine' } },
      points: new Map(),
      payloadSchema: new Map(),
    });
    await t.db.query(
      `INSERT INTO public.memory_collection_versions (collection, version, physical_name, dimension, state)
       VALUES ('task_embeddings', 1, 'task_embeddings_v1', 8, 'active')`,
    );
    for (const statement of PLANT.split(';\n').filter((s) => s.trim() !== '')) await t.db.query(statement);
    await t.db.query('VACUUM planted_bloat');
    await t.db.query('ANALYZE planted_orders');
    await t.db.query('ANALYZE planted_bloat');
    for (let i = 0; i < 120; i++) await t.db.query(PLANTED_QUERY, [i]);
    idle = new pg.Client({ connectionString: t.url });
    await idle.connect();
    await idle.query('BEGIN');
    await idle.query('SELECT 1');
    // Table statistics reach the collector within about a second; wait for them, do not guess.
    for (let i = 0; i < 50; i++) {
      const { rows } = await t.db.query<{ n: string }>(
        `SELECT coalesce(seq_scan, 0) AS n FROM pg_stat_user_tables WHERE relname = 'planted_orders'`,
      );
      if (Number(rows[0]?.n ?? 0) >= 100) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    await idle?.query('ROLLBACK').catch(() => undefined);
    await idle?.end().catch(() => undefined);
    await qdrant?.stop();
    await t?.drop();
  });

  it('reports every planted problem with its code', async () => {
    const thresholds = {
      idleInTransactionSeconds: 0,
      unusedIndexWindowDays: 0,
      unusedIndexMinBytes: 0,
      bloatMinWasteBytes: 1024 * 1024,
    };
    const backend = new QdrantBackend({ url: qdrant.url, apiKey: 'sekret' });
    const extraChecks = { vector_collections: () => checkVectorCollections(t.db, backend, 8) };
    // The first run records index usage; the second judges "unused" against it.
    await runDoctor(t.db, { thresholds, connections: t.db });
    const report = await runDoctor(t.db, { thresholds, connections: t.db, extraChecks });
    const found = codes(report.findings);
    for (const code of [
      'INDEX_UNUSED',
      'INDEX_DUPLICATE',
      'FK_WITHOUT_INDEX',
      'CONSTRAINT_NOT_VALID',
      'QUERY_SEQ_SCAN',
      'TABLE_SEQ_SCAN_HEAVY',
      'IDLE_IN_TRANSACTION',
      'TABLE_BLOAT',
      'PARTITION_DEFAULT_HAS_ROWS',
      'PARTITION_MISSING_AHEAD',
      'VECTOR_PAYLOAD_INDEX_MISSING',
    ]) {
      assert.ok(found.has(code), `missing ${code}; got ${[...found].join(', ')}`);
    }
    const byCode = (code: string) => report.findings.filter((f) => f.code === code);
    assert.ok(byCode('INDEX_UNUSED').some((f) => f.object.includes('planted_orders_note')));
    assert.deepEqual(
      byCode('INDEX_DUPLICATE').map((f) => f.object),
      ['planted_orders_note_idx'],
      'the copy sorts first by name and is kept; the other one is the duplicate to drop',
    );
    assert.ok(byCode('FK_WITHOUT_INDEX').some((f) => f.object.includes('planted_lines')));
    const scan = byCode('QUERY_SEQ_SCAN').find((f) => f.evidence['table'] === 'planted_orders');
    assert.ok(scan !== undefined && Number(scan.evidence['calls']) >= 100);
    assert.ok(byCode('TABLE_BLOAT').some((f) => f.object === 'planted_bloat'));
    assert.ok(byCode('PARTITION_DEFAULT_HAS_ROWS').some((f) => f.object === 'planted_events_default'));
    assert.ok(byCode('PARTITION_MISSING_AHEAD').some((f) => f.object === 'planted_events'));
    assert.ok(byCode('IDLE_IN_TRANSACTION').length >= 1);
    const vector = byCode('VECTOR_PAYLOAD_INDEX_MISSING').map((f) => f.evidence['field']);
    assert.ok(vector.includes('tenant_id') && vector.includes('session_id'), JSON.stringify(vector));
    assert.equal(report.exitCode, 1);
    assert.ok(
      report.checks.every((c) => c.error === null),
      JSON.stringify(report.checks),
    );
  });

  it('advise proposes the missing index, proves it halves the cost, and duplicates nothing', async () => {
    const report = await adviseIndexes(t.db, t.db, { minCalls: 100 });
    const suggestion = report.suggestions.find((s) => s.table === 'planted_orders');
    assert.ok(suggestion !== undefined, JSON.stringify(report, null, 1));
    assert.deepEqual(suggestion.columns, ['customer_ref']);
    assert.match(
      suggestion.createStatement,
      /^CREATE INDEX CONCURRENTLY \S+ ON planted_orders \(customer_ref\);$/,
    );
    const helped = suggestion.statements.find((s) => s.query.includes('customer_ref'));
    assert.ok(helped !== undefined && helped.calls >= 100);
    assert.ok(helped.costAfter <= helped.costBefore * 0.5, `${helped.costAfter} vs ${helped.costBefore}`);
    // Nothing proposed leads with the columns of an index that exists.
    for (const s of report.suggestions) assert.notDeepEqual(s.columns, ['note']);
    assert.ok(report.suggestions.every((s) => !s.columns.includes('id') || s.columns[0] !== 'id'));
  });

  it('advise proposes nothing once the index exists', async () => {
    await t.db.query('CREATE INDEX planted_orders_customer_ref_idx ON planted_orders (customer_ref)');
    const report = await adviseIndexes(t.db, t.db, { minCalls: 100 });
    assert.equal(
      report.suggestions.filter((s) => s.table === 'planted_orders').length,
      0,
      JSON.stringify(report.suggestions),
    );
    await t.db.query('DROP INDEX planted_orders_customer_ref_idx');
  });
});

describe('doctor on a clean, freshly migrated and seeded database', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
    await seedDatabase(t.db, { ...SMALL_SEED, seed: 'ops-doctor-clean' });
  });
  after(async () => t?.drop());

  it('reports no warnings and exits 0', async () => {
    const report = await runDoctor(t.db, { connections: t.db });
    const loud = report.findings.filter((f) => f.severity !== 'info');
    assert.deepEqual(loud, []);
    assert.ok(
      report.checks.every((c) => c.error === null),
      JSON.stringify(report.checks),
    );
    assert.equal(report.exitCode, 0);
  });
});
