import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CollectionState } from '../../src/memory/backend.js';
import { checkVectorCollections } from '../../src/ops/doctor-vector.js';

const db = {
  async query(text: string) {
    if (text.includes('to_regclass')) return { rows: [{ ok: true }], rowCount: 1 };
    return {
      rows: [{ collection: 'task_embeddings', physical_name: 'task_embeddings_v1', dimension: 8 }],
      rowCount: 1,
    };
  },
};

function backend(kind: 'qdrant' | 'embedded', state: Partial<CollectionState>) {
  return {
    kind,
    async describe(physical: string): Promise<CollectionState> {
      return {
        collection: physical,
        exists: true,
        points: 10,
        indexedVectors: 10,
        status: 'green',
        payloadIndexes: [],
        missingPayloadIndexes: [],
        drift: [],
        ...state,
      };
    },
  };
}

describe('checkVectorCollections', () => {
  it('reports missing payload indexes, drift and a red collection', async () => {
    const findings = await checkVectorCollections(
      db as never,
      backend('qdrant', {
        missingPayloadIndexes: ['tenant_id'],
        drift: ['dimension 1536'],
        status: 'red',
        indexedVectors: 2,
      }),
      8,
    );
    assert.deepEqual(findings.map((f) => `${f.code}:${f.severity}`).sort(), [
      'VECTOR_DIMENSION_DRIFT:critical',
      'VECTOR_OPTIMIZER_STATUS:critical',
      'VECTOR_PAYLOAD_INDEX_MISSING:warning',
      'VECTOR_UNINDEXED:info',
    ]);
    assert.equal(
      findings.find((f) => f.code === 'VECTOR_PAYLOAD_INDEX_MISSING')?.evidence['type'],
      'keyword',
    );
  });
  it('reports a missing Qdrant collection but not an embedded index this process never loaded', async () => {
    assert.equal(
      (await checkVectorCollections(db as never, backend('qdrant', { exists: false }), 8))[0]?.code,
      'VECTOR_COLLECTION_MISSING',
    );
    assert.deepEqual(
      await checkVectorCollections(db as never, backend('embedded', { exists: false }), 8),
      [],
    );
  });
  it('is silent for a healthy collection', async () => {
    assert.deepEqual(await checkVectorCollections(db as never, backend('qdrant', {}), 8), []);
  });
  it('flags shards more than twice as full as another on the same peer, past 1,000 points', async () => {
    const withShards = (points: number[]) => ({
      ...backend('qdrant', {}),
      async clusterState() {
        return {
          shardCount: points.length,
          replicas: points.map((n, shardId) => ({
            shardId,
            peer: 'local' as const,
            state: 'Active',
            points: n,
          })),
        };
      },
    });
    const uneven = await checkVectorCollections(db as never, withShards([5_000, 2_000, 2_400]), 8);
    assert.deepEqual(
      uneven.map((f) => [
        f.code,
        f.severity,
        f.evidence['largest_shard_points'],
        f.evidence['smallest_shard_points'],
      ]),
      [['VECTOR_SHARD_IMBALANCE', 'warning', 5_000, 2_000]],
    );
    assert.deepEqual(await checkVectorCollections(db as never, withShards([5_000, 2_500, 3_000]), 8), []);
    assert.deepEqual(await checkVectorCollections(db as never, withShards([900, 10, 10]), 8), []);
  });
  it('compares shards within their shard key only (tenant-keyed sharding)', async () => {
    const withKeys = (shards: Array<[string, number]>) => ({
      ...backend('qdrant', {}),
      async clusterState() {
        return {
          shardCount: shards.length,
          replicas: shards.map(([shardKey, points], shardId) => ({
            shardId,
            peer: 'local' as const,
            state: 'Active',
            points,
            shardKey,
          })),
        };
      },
    });
    // A large tenant's own key holds far more than `shared`: expected, not a finding.
    const byDesign = withKeys([
      ['big', 50_000],
      ['big', 48_000],
      ['shared', 3_000],
      ['shared', 2_900],
    ]);
    assert.deepEqual(await checkVectorCollections(db as never, byDesign, 8), []);
    const uneven = withKeys([
      ['big', 50_000],
      ['big', 4_000],
      ['shared', 3_000],
    ]);
    assert.deepEqual(
      (await checkVectorCollections(db as never, uneven, 8)).map((f) => [f.code, f.object]),
      [['VECTOR_SHARD_IMBALANCE', 'collection task_embeddings_v1 shard key big']],
    );
  });
});
