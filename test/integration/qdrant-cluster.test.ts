/**
 * Qdrant cluster settings against each supported version's OpenAPI document (the contract
 * stand-in; no live Qdrant runs here): collections are created with the configured shards,
 * replication and write-consistency factors; reads carry the configured `consistency` where the
 * version defines it; `describe` reports the layout; and the doctor reads `GET …/cluster`,
 * flagging a replica that is not Active.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collectionRegistry } from '../../src/memory/collections.js';
import type { Memory } from '../../src/memory/memory.js';
import type { QdrantBackend } from '../../src/memory/qdrant/qdrant-backend.js';
import { checkVectorCollections } from '../../src/ops/doctor-vector.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createQdrantTestMemory } from '../helpers/memory.js';
import { QDRANT_VERSIONS, QdrantContractServer } from '../helpers/qdrant-contract-server.js';

const DIM = 8;
const vec = (axis: number) => Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0.05));

for (const version of QDRANT_VERSIONS) {
  describe(`Qdrant cluster settings against the ${version} OpenAPI document`, () => {
    let t: TestDatabase;
    let server: QdrantContractServer;
    let memory: Memory;
    let backend: QdrantBackend;
    let tenant: string;

    before(async () => {
      t = await createTestDatabase();
      tenant = await createTenant(t.db);
      server = await new QdrantContractServer(version).start();
      ({ memory, backend } = createQdrantTestMemory({
        db: t.db,
        url: server.url,
        dimension: DIM,
        backend: {
          cluster: {
            shardNumber: 3,
            replicationFactor: 2,
            writeConsistencyFactor: 2,
            readConsistency: 'majority',
          },
        },
      }));
    });

    after(async () => {
      await memory?.close();
      await server?.stop();
      await t?.drop();
    });

    it('creates collections with the layout, reads with the consistency, and reports both', async () => {
      await memory.bootstrap();
      const created = server.requests.filter(
        (r) => r.method === 'PUT' && /^\/collections\/[a-z_0-9]+$/.test(r.path),
      );
      assert.ok(created.length >= 6);
      for (const r of created) {
        const body = r.body as Record<string, unknown>;
        assert.deepEqual(
          [body['shard_number'], body['replication_factor'], body['write_consistency_factor']],
          [3, 2, 2],
          r.path,
        );
      }
      await memory.upsert(tenant, 'cases', [
        { key: ['a'], vector: vec(0) },
        { key: ['b'], vector: vec(1) },
      ]);
      assert.equal(await memory.flush(), 0);
      const hits = await memory.search(tenant, 'cases', { vector: vec(0), limit: 1 });
      assert.equal(hits.length, 1);
      const reads = server.requests.filter((r) => /\/points\/(search|query|scroll)$/.test(r.path));
      assert.ok(reads.length > 0);
      for (const r of reads) assert.equal(r.query['consistency'], 'majority', r.path);
      await backend.count('cases', { must: [{ key: 'tenant_id', match: { value: tenant } }] });
      const count = server.requests.findLast((r) => r.path.endsWith('/points/count'))!;
      // Only 1.19 documents `consistency` on count; older servers get none rather than a violation.
      assert.equal(count.query['consistency'], version === 'v1.19.x' ? 'majority' : undefined);

      const physical = (
        await t.db.query<{ physical_name: string }>(
          `SELECT physical_name FROM public.memory_collection_versions WHERE collection = 'cases' AND state = 'active'`,
        )
      ).rows[0]!.physical_name;
      const state = await backend.describe(physical, collectionRegistry(DIM).get('cases')!);
      assert.deepEqual(state.cluster, { shardNumber: 3, replicationFactor: 2, writeConsistencyFactor: 2 });
      assert.deepEqual(server.violations, []);
    });

    it('the doctor reads the cluster info and flags a replica that is not Active', async () => {
      const healthy = await checkVectorCollections(t.db, backend, DIM);
      assert.deepEqual(
        healthy.filter((f) => f.code.startsWith('VECTOR_REPLICA') || f.code === 'VECTOR_SHARD_IMBALANCE'),
        [],
      );
      const physical = (
        await t.db.query<{ physical_name: string }>(
          `SELECT physical_name FROM public.memory_collection_versions WHERE collection = 'cases' AND state = 'active'`,
        )
      ).rows[0]!.physical_name;
      server.replicaStates.set(physical, new Map([[1, { remote: 'Dead' }]]));
      const findings = await checkVectorCollections(t.db, backend, DIM);
      const dead = findings.filter((f) => f.code === 'VECTOR_REPLICA_NOT_ACTIVE');
      assert.deepEqual(
        dead.map((f) => [f.severity, f.object, f.evidence['peer'], f.evidence['state']]),
        [['critical', `collection ${physical} shard 1`, '2', 'Dead']],
      );
      assert.deepEqual(server.violations, []);
    });
  });
}
