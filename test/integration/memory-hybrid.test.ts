/**
 * Hybrid retrieval (src/memory/hybrid-search.ts) on the embedded index with real PostgreSQL
 * full-text: a dense search misses an exact identifier that the lexical leg finds; on a generated
 * labelled set with semantic and identifier queries, hybrid recall is at least the better of the
 * two legs; the tenant condition holds on both legs; the HTTP route takes `mode` and `weights`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pointId } from '../../src/memory/point-id.js';
import { type MemoryFixture, openMemoryFixture } from '../helpers/memory.js';
import { type ServerHarness, startServerHarness, TEST_DIMENSION } from './server-harness.js';

const DIM = 16;
const CLUSTERS = 10;
const DOCS = 120;
const TOPICS = [
  'billing',
  'search',
  'deploy',
  'storage',
  'auth',
  'network',
  'queue',
  'cache',
  'email',
  'reports',
];

/** A small deterministic generator, so the labelled set is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}
const random = rng(42);
const noise = (scale: number) => (random() - 0.5) * 2 * scale;
const centers = Array.from({ length: CLUSTERS }, () => Array.from({ length: DIM }, () => noise(1)));
const near = (v: number[], scale: number) => v.map((x) => x + noise(scale));
const randomVector = () => Array.from({ length: DIM }, () => noise(1));

interface Doc {
  key: string;
  vector: number[];
  identifier: string;
  cluster: number;
}
const docs: Doc[] = Array.from({ length: DOCS }, (_, i) => ({
  key: `doc-${i}`,
  vector: near(centers[i % CLUSTERS]!, 0.25),
  identifier: `ERR-${4000 + i * 7}`,
  cluster: i % CLUSTERS,
}));
const textOf = (d: Doc) =>
  `incident note on ${TOPICS[d.cluster]} service: failure ${d.identifier} logged in ${TOPICS[d.cluster]}_worker_${d.key}.py`;

describe('hybrid retrieval on the embedded index', () => {
  let f: MemoryFixture;
  let tenant: string;
  let other: string;
  const idOf = (key: string) => pointId('cases', tenant, key);
  const fixedTenant = async (id: string) => {
    await f.t.db.query(`INSERT INTO auth.tenants (id, name, slug) VALUES ($1, $2, $2)`, [
      id,
      `t-${id.slice(-4)}`,
    ]);
    return id;
  };

  before(async () => {
    f = await openMemoryFixture(DIM, 'memory-hybrid');
    // Fixed tenant ids (the database is this file's own), so point ids, and with them the order of
    // points the lexical leg ranks equal, are the same on every run, and so are the figures.
    tenant = await fixedTenant('00000000-0000-4000-8000-000000000001');
    other = await fixedTenant('00000000-0000-4000-8000-000000000002');
    await f.memory.upsert(
      tenant,
      'cases',
      docs.map((d) => ({ key: [d.key], vector: d.vector, payload: { text: textOf(d), cluster: d.cluster } })),
    );
    // Another tenant holds the very identifiers: neither leg may ever return its points.
    await f.memory.upsert(
      other,
      'cases',
      docs.slice(0, 20).map((d) => ({ key: [d.key], vector: d.vector, payload: { text: textOf(d) } })),
    );
    assert.equal(await f.memory.flush(), 0);
  });

  after(async () => {
    await f?.close();
  });

  it('dense search misses an exact identifier; lexical finds it first, hybrid among the first', async () => {
    const target = docs[37]!;
    // The query's vector says nothing about the identifier (as an embedding of "ERR-4259" would not).
    const vector = randomVector();
    const dense = await f.memory.search(tenant, 'cases', { vector, limit: 5 });
    assert.ok(!dense.some((h) => h.id === idOf(target.key)), 'dense search finds it only by chance');
    const lexical = await f.memory.search(tenant, 'cases', {
      text: target.identifier,
      mode: 'lexical',
      limit: 5,
    });
    // Only the point holding the whole identifier: `err` alone (every identifier's prefix) is no match.
    assert.deepEqual(
      lexical.map((h) => h.id),
      [idOf(target.key)],
    );
    const hybrid = await f.memory.search(tenant, 'cases', {
      text: target.identifier,
      vector,
      mode: 'hybrid',
      limit: 5,
    });
    // Fused by rank with an uninformative dense leg, it ties with the dense leg's first, which
    // keeps its place: second.
    assert.equal(hybrid[1]?.id, idOf(target.key), 'hybrid search ranks the identifier second');
    assert.equal(hybrid[1]?.payload['text'], textOf(target));
  });

  it('on a labelled set of semantic and identifier queries, hybrid recall@5 ≥ the better leg', async () => {
    const queries = [
      // Semantic: a vector near the document's, words that every document of its topic shares.
      ...docs
        .slice(0, 40)
        .map((d) => ({ target: d, vector: near(d.vector, 0.05), text: `${TOPICS[d.cluster]} incident` })),
      // Identifier: an uninformative vector and the exact identifier.
      ...docs
        .slice(40, 80)
        .map((d) => ({ target: d, vector: randomVector(), text: `what failed with ${d.identifier}?` })),
    ];
    const recall: Record<string, number> = { dense: 0, lexical: 0, hybrid: 0 };
    for (const q of queries) {
      const found = {
        dense: await f.memory.search(tenant, 'cases', { vector: q.vector, limit: 5 }),
        lexical: await f.memory.search(tenant, 'cases', { text: q.text, mode: 'lexical', limit: 5 }),
        hybrid: await f.memory.search(tenant, 'cases', {
          text: q.text,
          vector: q.vector,
          mode: 'hybrid',
          limit: 5,
        }),
      };
      for (const [mode, hits] of Object.entries(found)) {
        if (hits.some((h) => h.id === idOf(q.target.key))) recall[mode]! += 1 / queries.length;
        for (const h of hits)
          assert.ok(
            docs.some((d) => idOf(d.key) === h.id),
            `${mode} returned a point of another tenant`,
          );
      }
    }
    console.log(
      `hybrid labelled set (${queries.length} queries, ${DOCS} points): recall@5 dense ${recall['dense']!.toFixed(3)}, lexical ${recall['lexical']!.toFixed(3)}, hybrid ${recall['hybrid']!.toFixed(3)}`,
    );
    assert.ok(recall['hybrid']! >= Math.max(recall['dense']!, recall['lexical']!), JSON.stringify(recall));
    // Each leg alone misses one kind of query; the fusion must do better than either.
    assert.ok(
      recall['hybrid']! > Math.max(recall['dense']!, recall['lexical']!) + 0.1,
      JSON.stringify(recall),
    );
  });

  it('refuses what a mode cannot honour, naming the field', async () => {
    const refused = async (options: object, field: string) =>
      assert.rejects(
        f.memory.search(tenant, 'cases', options as never),
        (e: { field?: string }) => e.field === field,
      );
    await refused({ vector: randomVector(), mode: 'lexical' }, 'text');
    await refused({ text: 'x', vector: randomVector(), mode: 'lexical' }, 'vector');
    await refused({ text: 'x', vector: randomVector() }, 'vector');
    await refused({ text: 'x', mode: 'fuzzy' }, 'mode');
    await refused({ text: 'x', mode: 'hybrid', weights: { dense: 0, lexical: 0 } }, 'weights');
    await refused({ text: 'x', mode: 'hybrid', scoreThreshold: 0.5 }, 'scoreThreshold');
    await refused({ text: 'x', mode: 'lexical', mmr: true }, 'mmr');
  });

  it('the lexical leg is served by the GIN index of migration 0070', async () => {
    await f.t.db.query('ANALYZE public.memory_points');
    const { rows } = await f.t.db.withTransaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      return tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM public.memory_points
          WHERE jsonb_to_tsvector('simple'::regconfig, payload, '["string"]'::jsonb) @@ to_tsquery('simple', 'err')`,
      );
    });
    assert.match(rows.map((r) => r['QUERY PLAN']).join('\n'), /memory_points_lexical/);
  });
});

describe('hybrid retrieval over HTTP', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('takes mode and weights, and answers 400 naming the field for a bad mode', async () => {
    const { key } = await h.tenantWithKey();
    const headers = { authorization: `Bearer ${key}` };
    const vec = (axis: number) => Array.from({ length: TEST_DIMENSION }, (_, i) => (i === axis ? 1 : 0));
    const put = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/cases/points',
      headers,
      payload: {
        points: [
          { key: ['a'], vector: vec(0), payload: { text: 'rotated the key for invoice-service' } },
          { key: ['b'], vector: vec(1), payload: { text: 'deploy of build 7781 failed on node pve-3' } },
        ],
      },
    });
    assert.equal(put.statusCode, 200, put.body);
    await h.memory.flush();
    const search = (payload: object) =>
      h.app.inject({ method: 'POST', url: '/v1/memory/cases/search', headers, payload });
    const hybrid = await search({
      text: 'build 7781',
      vector: vec(0),
      mode: 'hybrid',
      weights: { dense: 0.2, lexical: 1 },
      limit: 2,
    });
    assert.equal(hybrid.statusCode, 200, hybrid.body);
    assert.equal(hybrid.json().hits[0].payload.text, 'deploy of build 7781 failed on node pve-3');
    const lexical = await search({ text: 'pve-3', mode: 'lexical' });
    assert.equal(lexical.statusCode, 200, lexical.body);
    assert.deepEqual(
      lexical.json().hits.map((x: { payload: { text: string } }) => x.payload.text),
      ['deploy of build 7781 failed on node pve-3'],
    );
    const bad = await search({ text: 'x', mode: 'fuzzy' });
    assert.equal(bad.statusCode, 400);
    const both = await search({ text: 'x', vector: vec(0) });
    assert.equal(both.statusCode, 400);
    assert.equal(both.json().error.field, 'vector');
  });
});
