import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COLLECTION_NAMES, collectionRegistry, vectorsPerKilobytes } from '../../src/memory/collections.js';

describe('collections registry', () => {
  it('defines the six collections with the configured dimension, cosine and a tenant key', () => {
    const registry = collectionRegistry(768);
    assert.deepEqual([...registry.keys()].sort(), [...COLLECTION_NAMES].sort());
    for (const def of registry.values()) {
      assert.equal(def.dimension, 768);
      assert.equal(def.distance, 'Cosine');
      const tenant = def.payloadIndexes.filter((p) => p.isTenant);
      assert.deepEqual(
        tenant.map((p) => p.field),
        ['tenant_id'],
      );
      assert.ok(def.payloadIndexes.some((p) => p.field === 'timestamp' && p.type === 'integer'));
    }
    const task = registry.get('task_embeddings')!;
    for (const field of ['session_id', 'user_id', 'agent_id', 'qa_id', 'is_chunked']) {
      assert.ok(
        task.payloadIndexes.some((p) => p.field === field),
        field,
      );
    }
  });

  it('documents thresholds in kilobytes, not points', () => {
    const def = collectionRegistry(1536).get('summaries')!;
    assert.equal(def.optimizers.indexingThresholdKb, 20_000);
    assert.equal(vectorsPerKilobytes(def.optimizers.indexingThresholdKb, 1536), 3333);
  });
});
