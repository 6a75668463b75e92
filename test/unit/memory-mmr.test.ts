import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mmrRerank } from '../../src/memory/mmr.js';

/** Independent reference: recompute every max-similarity from scratch at each step (no incremental state). */
function referenceMmr(q: number[], docs: number[][], lambda: number, k: number): number[] {
  const cos = (a: number[], b: number[]) => {
    const dot = a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
    const na = Math.hypot(...a);
    const nb = Math.hypot(...b);
    return na === 0 || nb === 0 ? 0 : dot / (na * nb);
  };
  const selected: number[] = [];
  while (selected.length < Math.min(k, docs.length)) {
    let best = -1;
    let bestScore = -Infinity;
    docs.forEach((d, i) => {
      if (selected.includes(i)) return;
      const div = Math.max(0, ...selected.map((s) => cos(d, docs[s] as number[])));
      const score = lambda * cos(q, d) - (1 - lambda) * div;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    selected.push(best);
  }
  return selected;
}

describe('MMR', () => {
  const query = [1, 0, 0];
  // Three near-duplicates of the best answer, then two diverse but still relevant ones.
  const docs = [
    [0.95, 0.31, 0],
    [0.949, 0.312, 0.001],
    [0.948, 0.315, 0.002],
    [0.8, 0, 0.6],
    [0.7, -0.7, 0.1],
  ];
  const candidates = docs.map((vector, id) => ({ id, vector }));

  it('with lambda < 1 returns a different, more diverse order than plain similarity', () => {
    const plain = [...candidates].sort(
      (a, b) => b.vector[0]! / Math.hypot(...b.vector) - a.vector[0]! / Math.hypot(...a.vector),
    );
    const picked = mmrRerank(query, candidates, 0.5, 3).map((c) => c.id);
    assert.deepEqual(
      plain.slice(0, 3).map((c) => c.id),
      [0, 1, 2],
    );
    assert.notDeepEqual(picked, [0, 1, 2]);
    assert.equal(picked[0], 0);
    assert.ok(picked.includes(3) || picked.includes(4), 'a diverse candidate is promoted');
  });

  it('equals the reference computation for several lambdas and random fixtures', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    for (const lambda of [0, 0.3, 0.5, 0.7, 1]) {
      for (let t = 0; t < 20; t += 1) {
        const q = Array.from({ length: 8 }, rand);
        const ds = Array.from({ length: 15 }, () => Array.from({ length: 8 }, rand));
        const got = mmrRerank(
          q,
          ds.map((vector, id) => ({ id, vector })),
          lambda,
          10,
        ).map((c) => c.id);
        assert.deepEqual(got, referenceMmr(q, ds, lambda, 10));
      }
    }
    assert.deepEqual(
      mmrRerank(query, candidates, 0.5).map((c) => c.id),
      referenceMmr(query, docs, 0.5, 5),
    );
  });

  it('lambda 1 is plain similarity order and bad lambdas are rejected', () => {
    assert.deepEqual(
      mmrRerank(query, candidates, 1).map((c) => c.id),
      [0, 1, 2, 3, 4],
    );
    assert.throws(() => mmrRerank(query, candidates, 1.5), { field: 'mmr.lambda' });
  });
});
