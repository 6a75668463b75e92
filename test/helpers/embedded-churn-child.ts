/**
 * A child process for test/unit/memory-embedded-churn.test.ts: adds and deletes points of one
 * embedded collection in rounds. A native index whose delete never returns blocks this process's
 * event loop for good, so the parent runs it apart and kills it after a deadline.
 */
import type { IndexedPoint } from '../../src/memory/backend.js';
import { collectionRegistry } from '../../src/memory/collections.js';
import { EmbeddedCollection } from '../../src/memory/embedded/embedded-collection.js';

const DIM = 8;
const TENANT = '11111111-1111-4111-8111-111111111111';
const collection = new EmbeddedCollection(collectionRegistry(DIM).get('task_embeddings')!, { threads: 1 });
let next = 1;
const point = (): IndexedPoint => {
  const i = next++;
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    key: BigInt(i),
    vector: Float32Array.from({ length: DIM }, () => Math.random() - 0.5),
    payload: { tenant_id: TENANT, _version: 1 },
    version: 1,
  };
};
collection.upsert(Array.from({ length: 5 }, point));
const rounds = Number(process.argv[2] ?? 2_000);
for (let round = 0; round < rounds; round += 1) {
  const added = Array.from({ length: 5 }, point);
  collection.upsert(added);
  collection.delete(added.map((p) => p.id));
}
process.stdout.write(`rounds ${rounds} done\n`);
