/**
 * Tenant-keyed custom sharding (QDRANT_TENANT_SHARDS) against each supported version's OpenAPI
 * document (the contract stand-in; no live Qdrant runs here, test/helpers/qdrant-contract-server.ts
 * answers as Qdrant does: keys only in custom-sharded collections, a write without a key refused,
 * reads scoped to the key asked). A listed tenant's points go to its own key and its reads ask only
 * that key; other tenants share `shared`; a tenant added to the setting later keeps its existing
 * collections' routing (no point under two keys) and the difference is reported as drift.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Memory } from '../../src/memory/memory.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createQdrantTestMemory } from '../helpers/memory.js';
import {
  QDRANT_VERSIONS,
  QdrantContractServer,
  type RecordedRequest,
} from '../helpers/qdrant-contract-server.js';

const DIM = 8;
const vec = (axis: number) => Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0.05));
const body = (r: RecordedRequest) => r.body as Record<string, unknown>;

for (const version of QDRANT_VERSIONS) {
  describe(`tenant-keyed sharding against the ${version} OpenAPI document`, () => {
    let t: TestDatabase;
    let server: QdrantContractServer;
    const memories: Memory[] = [];
    let big: string;
    let small: string;
    let later: string;

    function open(tenantShards: string[]): Memory {
      const { memory } = createQdrantTestMemory({
        db: t.db,
        url: server.url,
        dimension: DIM,
        backend: {
          cluster: {
            shardNumber: 2,
            replicationFactor: undefined,
            writeConsistencyFactor: undefined,
            readConsistency: undefined,
            tenantShards,
          },
        },
      });
      memories.push(memory);
      return memory;
    }

    before(async () => {
      t = await createTestDatabase();
      big = await createTenant(t.db);
      small = await createTenant(t.db);
      later = await createTenant(t.db);
      server = await new QdrantContractServer(version).start();
    });

    after(async () => {
      for (const m of memories) await m.close();
      await server?.stop();
      await t?.drop();
    });

    it('creates custom-sharded collections with `shared` and the listed tenant, and routes by tenant', async () => {
      const memory = open([big]);
      await memory.bootstrap();
      const creates = server.requests.filter(
        (r) => r.method === 'PUT' && /^\/collections\/[a-z_0-9]+$/.test(r.path),
      );
      assert.ok(creates.length >= 6);
      for (const r of creates) assert.equal(body(r)['sharding_method'], 'custom', r.path);
      const keysPerCollection = new Map<string, unknown[]>();
      for (const r of server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/shards'))) {
        const list = keysPerCollection.get(r.path) ?? [];
        list.push(body(r)['shard_key']);
        keysPerCollection.set(r.path, list);
      }
      assert.equal(keysPerCollection.size, creates.length);
      for (const keys of keysPerCollection.values()) assert.deepEqual(keys, ['shared', big]);

      await memory.upsert(big, 'cases', [{ key: ['b1'], vector: vec(0), payload: { session_id: 's' } }]);
      await memory.upsert(small, 'cases', [{ key: ['s1'], vector: vec(0), payload: { session_id: 's' } }]);
      assert.equal(await memory.flush(), 0);
      const writes = server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/points'));
      const byKey = writes.map((r) => [
        body(r)['shard_key'],
        (body(r)['points'] as Array<{ payload: { tenant_id: string } }>).map((p) => p.payload.tenant_id),
      ]);
      assert.deepEqual(
        byKey.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          [big, [big]],
          ['shared', [small]],
        ],
      );

      const before = server.requests.length;
      const bigHits = await memory.search(big, 'cases', { vector: vec(0), limit: 5 });
      const smallHits = await memory.search(small, 'cases', { vector: vec(0), limit: 5 });
      assert.equal(bigHits.length, 1);
      assert.equal(smallHits.length, 1);
      assert.equal(await memory.count(big, 'cases'), 1);
      assert.equal((await memory.recentBySession(small, 'cases', 's')).length, 1);
      const reads = server.requests
        .slice(before)
        .filter((r) => /\/points\/(query|search|count|scroll)$/.test(r.path));
      assert.deepEqual(
        reads.map((r) => body(r)['shard_key']),
        [big, 'shared', big, 'shared'],
      );

      const status = await memory.status();
      const cases = status.collections.find((c) => c.collection === 'cases')!;
      assert.deepEqual(cases.index.cluster?.shardKeys, ['shared', big]);
      assert.deepEqual(cases.index.drift, []);
      assert.deepEqual(server.violations, []);
    });

    it('a tenant added to the setting later stays on `shared` in existing collections; drift says so', async () => {
      const memory = open([big, later]);
      const before = server.requests.length;
      await memory.bootstrap();
      assert.deepEqual(
        server.requests.slice(before).filter((r) => r.path.endsWith('/shards')),
        [],
        'no key is added to a collection that already has points routed by its keys',
      );
      await memory.upsert(later, 'cases', [{ key: ['l1'], vector: vec(1) }]);
      assert.equal(await memory.flush(), 0);
      // Written again after the setting changed: still under `shared`, never a second copy.
      await memory.upsert(small, 'cases', [{ key: ['s1'], vector: vec(2), payload: { session_id: 's' } }]);
      assert.equal(await memory.flush(), 0);
      const last = server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/points')).slice(-2);
      assert.deepEqual(
        last.map((r) => body(r)['shard_key']),
        ['shared', 'shared'],
      );
      assert.equal((await memory.search(later, 'cases', { vector: vec(1), limit: 5 })).length, 1);
      const status = await memory.status();
      const cases = status.collections.find((c) => c.collection === 'cases')!;
      assert.deepEqual(cases.index.drift, [`shard keys missing: ${later} (collections rebuild to apply)`]);

      // The rebuild recreates the collection with the setting's keys and PostgreSQL's points.
      const rebuiltFrom = server.requests.length;
      await memory.rebuild('cases');
      const refilled = server.requests
        .slice(rebuiltFrom)
        .filter((r) => r.method === 'PUT' && r.path.endsWith('/points'))
        .map((r) => body(r)['shard_key'])
        .sort();
      assert.deepEqual(refilled, [big, later, 'shared'].sort());
      const rebuilt = (await memory.status()).collections.find((c) => c.collection === 'cases')!;
      assert.deepEqual(rebuilt.index.cluster?.shardKeys, ['shared', big, later]);
      assert.deepEqual(rebuilt.index.drift, []);
      assert.equal((await memory.search(later, 'cases', { vector: vec(1), limit: 5 })).length, 1);
      assert.deepEqual(server.violations, []);
    });
  });
}
