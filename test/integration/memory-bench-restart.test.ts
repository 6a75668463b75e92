import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runMemoryBenchmark } from '../../src/devtools/bench/memory-benchmark.js';
import { TEST_SERVER_URL, testPoolConfig } from '../helpers/database.js';

// The restart phase of `bench memory` against a real server: the snapshot is opened and caught up
// from a scratch database where 1 % of the points changed; it throws unless exactly those were
// re-read and the collection holds every point.
test('bench memory times a restart from the snapshot, catching up the points changed in PostgreSQL', async () => {
  const r = await runMemoryBenchmark({
    points: 3000,
    dimension: 32,
    queries: 20,
    outboxPoints: 0,
    selectivityQueries: 0,
    fullScanThresholdKb: 0,
    databaseUrl: TEST_SERVER_URL,
    pool: testPoolConfig(),
  });
  assert.ok(r.restart !== null);
  assert.equal(r.restart.points, 3000);
  assert.equal(r.restart.changed_while_down, 30);
  assert.equal(r.restart.rebuilt, 30);
  assert.equal(r.restart_seconds, r.restart.restart_seconds);
  assert.ok(r.restart.snapshot_bytes.graph > 0);
  assert.ok(r.restart.snapshot_bytes.vectors_and_payloads >= 3000 * 32 * 4);
  assert.equal(r.index_bytes_per_vector, Math.round(r.restart.snapshot_bytes.graph / 3000));
});
