import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { IndexedPoint } from '../../src/memory/backend.js';
import { collectionRegistry } from '../../src/memory/collections.js';
import { EmbeddedCollection, FILTERED_BREADTH } from '../../src/memory/embedded/embedded-collection.js';
import { composeFilter, parseFilter } from '../../src/memory/filter.js';
import { matchesFilter } from '../../src/memory/filter-evaluator.js';
import { cosine } from '../../src/memory/vector.js';

const DIM = 8;
const TENANTS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];

function fixture(n: number): { collection: EmbeddedCollection; points: IndexedPoint[] } {
  const def = collectionRegistry(DIM).get('task_embeddings')!;
  const collection = new EmbeddedCollection(def, { threads: 1 });
  let seed = 11;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const points = Array.from({ length: n }, (_, i): IndexedPoint => {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    return {
      id,
      key: BigInt(i + 1),
      vector: Float32Array.from({ length: DIM }, () => rand() - 0.5),
      payload: {
        tenant_id: TENANTS[i % 2],
        session_id: `s${i % 7}`,
        agent_id: i % 3 === 0 ? ['a', 'b'] : 'c',
        timestamp: 1000 + ((i * 13) % n),
        is_chunked: i % 2 === 0,
        _version: 1,
      },
      version: 1,
    };
  });
  collection.upsert(points);
  return { collection, points };
}

describe('embedded collection', () => {
  const { collection, points } = fixture(600);

  it('filtered counts equal the reference evaluator for generated filters (planner + value indexes)', () => {
    const cond = fc.oneof(
      fc.record({
        key: fc.constantFrom('session_id', 'agent_id'),
        match: fc.record({ value: fc.constantFrom('s1', 's3', 'a', 'c', 'zz') }),
      }),
      fc.record({
        key: fc.constant('timestamp'),
        range: fc.record({ gte: fc.integer({ min: 1000, max: 1600 }) }),
      }),
      fc.record({ key: fc.constant('is_chunked'), match: fc.record({ value: fc.boolean() }) }),
    );
    const filter = fc.record(
      { must: fc.array(cond, { maxLength: 3 }), must_not: fc.array(cond, { maxLength: 1 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(filter, fc.constantFrom(...TENANTS), (raw, tenant) => {
        const composed = composeFilter(tenant, parseFilter(raw));
        const expected = points.filter((p) =>
          matchesFilter(composed, { id: p.id, payload: p.payload }),
        ).length;
        assert.equal(collection.count(composed), expected);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('selective filtered search is exact and matches brute force', () => {
    const query = points[5]!.vector;
    const filter = composeFilter(
      TENANTS[0]!,
      parseFilter({ must: [{ key: 'session_id', match: { value: 's2' } }] }),
    );
    const got = collection.search({ vector: query, filter, limit: 5, withVector: false }).map((h) => h.id);
    const expected = points
      .filter((p) => matchesFilter(filter, { id: p.id, payload: p.payload }))
      .map((p) => ({ id: p.id, s: cosine(query, p.vector) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 5)
      .map((p) => p.id);
    assert.deepEqual(got, expected);
  });

  it('exact searches over a large, a small and again a large candidate set (one reused gather buffer) each match brute force', () => {
    const bruteForce = (query: Float32Array, filter: ReturnType<typeof composeFilter>, limit: number) =>
      points
        .filter((p) => matchesFilter(filter, { id: p.id, payload: p.payload }))
        .map((p) => ({ id: p.id, s: cosine(query, p.vector) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, limit)
        .map((p) => p.id);
    const wide = composeFilter(TENANTS[1]!, parseFilter({}));
    const narrow = composeFilter(
      TENANTS[1]!,
      parseFilter({ must: [{ key: 'session_id', match: { value: 's4' } }] }),
    );
    for (const [i, filter] of [wide, narrow, wide, narrow].entries()) {
      const query = points[10 + i]!.vector;
      const got = collection.search({ vector: query, filter, limit: 7, withVector: false, exact: true });
      assert.deepEqual(
        got.map((h) => h.id),
        bruteForce(query, filter, 7),
        `search ${i + 1}`,
      );
    }
  });

  it('a filtered graph search starts as wide as the filter is selective (FILTERED_BREADTH × limit ÷ share)', () => {
    const index = (collection as unknown as { index: { search: (...a: unknown[]) => unknown } }).index;
    const search = index.search.bind(index);
    const ks: number[] = [];
    index.search = (...args: unknown[]) => {
      ks.push(args[1] as number);
      return search(...args);
    };
    try {
      // session s3 holds 1 point in 7; with the tenant, 43 of the 600.
      const filter = composeFilter(
        TENANTS[0]!,
        parseFilter({ must: [{ key: 'session_id', match: { value: 's3' } }] }),
      );
      const matches = collection.count(filter);
      const hits = collection.search({
        vector: points[3]!.vector,
        filter,
        limit: 5,
        withVector: false,
        exact: false,
      });
      assert.equal(hits.length, 5);
      assert.equal(ks[0], Math.min(600, Math.ceil((FILTERED_BREADTH * 5 * 600) / matches)));
      ks.length = 0;
      collection.search({
        vector: points[3]!.vector,
        filter: composeFilter(TENANTS[0]!, parseFilter({})),
        limit: 5,
        withVector: false,
        exact: false,
      });
      assert.equal(
        ks[0],
        Math.min(600, Math.ceil((FILTERED_BREADTH * 5 * 600) / 300)),
        'the tenant keeps half',
      );
    } finally {
      index.search = search;
    }
  });

  it('ignores an older version, applies a newer one and keeps value indexes current', () => {
    const p = points[10]!;
    const filter = (session: string) =>
      composeFilter(TENANTS[0]!, parseFilter({ must: [{ key: 'session_id', match: { value: session } }] }));
    const before = collection.count(filter('moved'));
    collection.upsert([{ ...p, payload: { ...p.payload, session_id: 'moved', _version: 3 }, version: 3 }]);
    collection.upsert([{ ...p, payload: { ...p.payload, session_id: 'old', _version: 2 }, version: 2 }]);
    assert.equal(collection.count(filter('moved')), before + 1);
    assert.equal(collection.count(filter('old')), 0);
    collection.delete([p.id]);
    assert.equal(collection.count(filter('moved')), before);
  });
});
