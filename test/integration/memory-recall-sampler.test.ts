/**
 * Recall in production (src/memory/recall-sampler.ts): live dense searches are re-run exactly at
 * MEMORY_RECALL_SAMPLE_RATE and their recall@k lands in shannon_memory_search_recall. On the
 * embedded index the exact re-run is a full scan; on Qdrant it is `params: {exact: true}`,
 * checked against each vendored OpenAPI document; a rate of 0 samples nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScoredPoint } from '../../src/memory/backend.js';
import type { Memory } from '../../src/memory/memory.js';
import { recallAtK } from '../../src/memory/recall-sampler.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { createTenant, createTestDatabase } from '../helpers/database.js';
import { createQdrantTestMemory, createTestMemory } from '../helpers/memory.js';
import { QDRANT_VERSIONS, QdrantContractServer } from '../helpers/qdrant-contract-server.js';

const DIM = 8;
const vec = (axis: number) => Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0.05 * i));
const points = (ids: string[]): ScoredPoint[] => ids.map((id) => ({ id, score: 0, payload: {} }));

async function recallSamples(metrics: Metrics): Promise<{ count: number; sum: number }> {
  const values = (await metrics.memorySearchRecall.get()).values;
  const count = values.filter((v) => v.metricName?.endsWith('_count')).reduce((a, v) => a + v.value, 0);
  const sum = values.filter((v) => v.metricName?.endsWith('_sum')).reduce((a, v) => a + v.value, 0);
  return { count, sum };
}

describe('recall@k', () => {
  it('is the share of the exact answer the live one held', () => {
    assert.equal(recallAtK(points(['a', 'b', 'c', 'd']), points(['a', 'b', 'c', 'd'])), 1);
    assert.equal(recallAtK(points(['a', 'x', 'c', 'y']), points(['a', 'b', 'c', 'd'])), 0.5);
    assert.equal(recallAtK(points([]), points(['a'])), 0);
    assert.equal(recallAtK(points(['a']), points([])), 1);
  });
});

async function searchAndClose(memory: Memory, tenant: string, searches: number): Promise<void> {
  await memory.upsert(
    tenant,
    'cases',
    Array.from({ length: 20 }, (_, i) => ({ key: [`p${i}`], vector: vec(i % DIM) })),
  );
  assert.equal(await memory.flush(), 0);
  for (let i = 0; i < searches; i += 1) {
    await memory.search(tenant, 'cases', { vector: vec(i % DIM), limit: 5 });
    // One sample runs at a time; give each its turn so every search is sampled.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Closing waits for a sample still running.
  await memory.close();
}

describe('recall sampling on the embedded index', () => {
  for (const [rate, expected] of [
    [1, 6],
    [0, 0],
  ] as const) {
    it(`rate ${rate}: ${expected} of 6 searches sampled`, async () => {
      const t = await createTestDatabase();
      try {
        const metrics = createMetrics();
        const tenant = await createTenant(t.db);
        const memory = createTestMemory({
          db: t.db,
          metrics,
          config: {
            vectorDimension: DIM,
            dataDir: '/nonexistent',
            qdrantUrl: undefined,
            qdrantApiKey: undefined,
            memoryRecallSampleRate: rate,
          },
          snapshotDir: null,
          startRelay: false,
        });
        await searchAndClose(memory, tenant, 6);
        const samples = await recallSamples(metrics);
        assert.equal(samples.count, expected);
        // 20 points: the live search is exact itself, so every sample measures recall 1.
        assert.equal(samples.sum, expected);
      } finally {
        await t.drop();
      }
    });
  }
});

for (const version of QDRANT_VERSIONS) {
  it(`Qdrant: the exact re-run sends params.exact, valid for the ${version} OpenAPI document`, async () => {
    const t = await createTestDatabase();
    const server = await new QdrantContractServer(version).start();
    try {
      const metrics = createMetrics();
      const tenant = await createTenant(t.db);
      const { memory } = createQdrantTestMemory({
        db: t.db,
        url: server.url,
        dimension: DIM,
        metrics,
        memoryRecallSampleRate: 1,
      });
      await searchAndClose(memory, tenant, 3);
      const reads = server.requests.filter((r) => /\/points\/(query|search)$/.test(r.path));
      const exact = reads.filter((r) => (r.body as { params?: { exact?: boolean } }).params?.exact === true);
      assert.equal(reads.length, 6, 'each search and its exact re-run');
      assert.equal(exact.length, 3);
      assert.equal((await recallSamples(metrics)).count, 3);
      assert.deepEqual(server.violations, []);
    } finally {
      await server.stop();
      await t.drop();
    }
  });
}
