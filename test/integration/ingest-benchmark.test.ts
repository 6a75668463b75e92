/**
 * `shannon-data bench ingest` on a small scale: every phase measured on the same table, the ratios
 * computed from the figures it prints, the write path's way of writing reported, and the table left
 * as the benchmark found it. (No speed is asserted: tests never judge wall-clock time.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runIngestBenchmark } from '../../src/devtools/bench/ingest-benchmark.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let t: TestDatabase;

before(async () => {
  t = await createTestDatabase();
});

after(async () => {
  await t.drop();
});

async function snapshot() {
  const { rows } = await t.db.query<{ events: string; tenants: string }>(
    'SELECT (SELECT count(*) FROM public.event_logs) AS events, (SELECT count(*) FROM auth.tenants) AS tenants',
  );
  return rows[0]!;
}

test('measures every phase, derives the ratios from them, and leaves the table as it found it', async () => {
  const tenant = await createTenant(t.db);
  await t.db.query(
    `INSERT INTO public.event_logs (tenant_id, idempotency_key, workflow_id, type) VALUES ($1, 'kept', 'wf', 'T')`,
    [tenant],
  );
  const before = await snapshot();
  const phases: string[] = [];
  const r = await runIngestBenchmark(t.db, {
    connectionString: t.url,
    rows: 2_000,
    onProgress: (p) => phases.push(p),
  });
  const s = r.rowsPerSecond;
  for (const [phase, value] of Object.entries(s)) assert.ok(typeof value === 'number' && value > 0, phase);
  assert.equal(s.copy, Math.max(s.copyOneStream!, s.copyTwoStreams!));
  assert.equal(r.ratio_vs_copy, Math.round((s.writePath / s.copy!) * 100) / 100);
  assert.equal(r.ratio_vs_row_by_row, Math.round((s.writePath / s.rowByRow) * 10) / 10);
  assert.ok(r.p99AckMsAtHalfRate > 0);
  assert.ok(r.replayRowsPerSecond > 0);
  assert.ok(phases.includes('replay of a spool'));
  assert.ok(phases.includes('replay of a spool under load'));
  assert.ok(r.replayUnderLoadRowsPerSecond > 0);
  assert.ok(
    r.directRowsPerSecondDuringReplay > 0,
    'new writes were committed directly while the spool drained',
  );
  assert.ok(r.replayUnderLoadDrainMs > 0);
  assert.equal(
    r.replayUnderLoadSpooledRecords,
    0,
    'no new write went to the spool while the database answered',
  );
  assert.deepEqual(r.writePathCopyFallbacks, {}, 'a superuser writes by COPY');
  assert.equal(r.copyRefused, undefined);
  assert.ok(phases.includes('write path, durable acknowledgements'));
  assert.deepEqual(await snapshot(), before);
});
