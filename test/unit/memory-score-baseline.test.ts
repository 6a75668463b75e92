import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexedPoint } from '../../src/memory/backend.js';
import { collectionRegistry } from '../../src/memory/collections.js';
import { EmbeddedCollection } from '../../src/memory/embedded/embedded-collection.js';
import { ScoreBaseline } from '../../src/memory/embedded/score-baseline.js';
import { composeFilter } from '../../src/memory/filter.js';

describe('score baseline', () => {
  it('calls nothing low before 64 scores, then only scores far below the typical', () => {
    const baseline = new ScoreBaseline();
    for (let i = 0; i < 63; i += 1) baseline.record(0.9 + ((i % 7) - 3) * 0.005);
    assert.equal(baseline.isLow(0.1), false, 'too few samples');
    baseline.record(0.9);
    assert.equal(baseline.isLow(0.1), true);
    assert.equal(baseline.isLow(0.88), false);
  });
});

describe('a graph search far below the typical best is retried wider', () => {
  const DIM = 16;
  const TENANT = '11111111-1111-4111-8111-111111111111';
  let seed = 5;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  // One tight cluster around a centre: searches near it find scores close to 1.
  const centre = Float32Array.from({ length: DIM }, rand);
  const near = () => Float32Array.from(centre, (c) => c + rand() * 0.05);
  const def = collectionRegistry(DIM).get('task_embeddings')!;
  const collection = new EmbeddedCollection(def, { threads: 1 });
  const points: IndexedPoint[] = Array.from({ length: 2000 }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    key: BigInt(i + 1),
    vector: near(),
    payload: { tenant_id: TENANT, _version: 1 },
    version: 1,
  }));
  collection.upsert(points);
  const filter = composeFilter(TENANT, undefined);

  it('counts typical searches as typical and the outlier as widened, and still answers exactly', () => {
    for (let i = 0; i < 100; i += 1)
      collection.search({ vector: near(), filter, limit: 10, exact: false, withVector: false });
    assert.equal(collection.widened, 0);
    const outlier = Float32Array.from(centre, (c) => -c);
    const hits = collection.search({ vector: outlier, filter, limit: 10, exact: false, withVector: false });
    assert.equal(collection.widened, 1);
    const exact = collection.search({ vector: outlier, filter, limit: 10, exact: true, withVector: false });
    assert.deepEqual(
      hits.map((h) => h.id),
      exact.map((h) => h.id),
    );
  });
});
