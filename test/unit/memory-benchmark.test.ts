import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lowRankVectors, runMemoryBenchmark } from '../../src/devtools/bench/memory-benchmark.js';

describe('memory benchmark (small size; the full 100k × 768 run is manual)', () => {
  it('generates unit-length, low-rank (clustered) vectors deterministically', () => {
    const a = lowRankVectors(50, 32, 1);
    assert.deepEqual(a, lowRankVectors(50, 32, 1));
    for (let i = 0; i < 50; i += 1) {
      const norm = Math.hypot(...a.subarray(i * 32, (i + 1) * 32));
      assert.ok(Math.abs(norm - 1) < 1e-4);
    }
  });

  it('reports recall@10 of the graph path and the speed-up over exact search', async () => {
    const progress: string[] = [];
    const r = await runMemoryBenchmark({
      points: 2000,
      dimension: 48,
      queries: 60,
      fullScanThresholdKb: 0,
      outboxPoints: 0,
      onProgress: (phase, done, total) => progress.push(`${phase} ${done}/${total}`),
    });
    // Each bar counts its phase's units and ends full; no phase is a bare 0/1 → 1/1.
    assert.deepEqual(progress, [
      'build 2000/2000',
      'search 50/60',
      'search 60/60',
      ...[10, 20, 30, 40, 50, 60].map((i) => `filtered ${i}/60`),
      ...['15', '1', '0.1'].flatMap((share) =>
        [10, 20, 30, 40, 50, 60].map((i) => `filtered ${share} % ${i}/60`),
      ),
    ]);
    assert.equal(r.points, 2000);
    assert.ok(r.recall_at_10 >= 0.9 && r.recall_at_10 <= 1, `recall ${r.recall_at_10}`);
    assert.ok(r.speedup_vs_exact > 0 && Number.isFinite(r.speedup_vs_exact));
    assert.equal(r.filtered.recall_at_10, 1);
    assert.equal(r.outbox, null);
    assert.equal(typeof r.met_targets, 'boolean');
    // The graph's size is measured from its saved file: int8 vectors plus links, under float32's.
    assert.equal(r.quantization, 'i8');
    assert.equal(r.float32_bytes_per_vector, 48 * 4);
    assert.ok(
      r.index_bytes_per_vector > 48 && r.index_bytes_per_vector < 48 * 4 + 200,
      `${r.index_bytes_per_vector} bytes/vector`,
    );
    assert.equal(r.build_points_per_second, r.adds_per_second);
    assert.equal(r.restart, null, 'no database, no restart phase');
    assert.ok(r.recall_p01 >= 0 && r.recall_p01 <= r.recall_at_10);
    assert.ok(r.queries_below_half_share >= 0 && r.queries_below_half_share <= 1);
    // 2,000 points: 15 % is 300, 1 % is 20, 0.1 % is 2; the exact path is exact.
    assert.deepEqual(
      r.selectivity.map((s) => [s.share, s.points, s.exact.recall_mean]),
      [
        [0.15, 300, 1],
        [0.01, 20, 1],
        [0.001, 2, 1],
      ],
    );
  });

  it('the clustered data set has very unequal clusters and queries from every cluster', async () => {
    const r = await runMemoryBenchmark({
      points: 3000,
      dimension: 32,
      queries: 100,
      fullScanThresholdKb: 0,
      outboxPoints: 0,
      data: 'clustered',
      selectivityQueries: 0,
    });
    assert.equal(r.data, 'clustered');
    assert.deepEqual(r.selectivity, []);
    assert.ok(r.recall_at_10 > 0 && r.recall_at_10 <= 1);
  });
});
