import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collectionRegistry } from '../../src/memory/collections.js';
import type { Memory } from '../../src/memory/memory.js';
import { QdrantBackend } from '../../src/memory/qdrant/qdrant-backend.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTestMemory } from '../helpers/memory.js';
import { QDRANT_VERSIONS, QdrantContractServer } from '../helpers/qdrant-contract-server.js';

const DIM = 8;
const vec = (axis: number, w = 0) =>
  Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0.05 * ((i + w) % 3)));

for (const version of QDRANT_VERSIONS) {
  const hasQuery = version !== 'v1.9.x';
  const hasSearch = version !== 'v1.19.x';
  describe(`Qdrant backend against the ${version} OpenAPI document`, () => {
    let t: TestDatabase;
    let server: QdrantContractServer;
    let memory: Memory;
    let backend: QdrantBackend;
    let tenant: string;

    before(async () => {
      t = await createTestDatabase();
      tenant = await createTenant(t.db);
      server = await new QdrantContractServer(version).start();
      // A collection created by one of the original's shell scripts: no payload indexes at all.
      server.collections.set('task_embeddings', {
        params: { vectors: { size: DIM, distance: 'Cosine' } },
        points: new Map(),
        payloadSchema: new Map(),
      });
      backend = new QdrantBackend({ url: server.url, apiKey: 'sekret', maxPointsPerRequest: 7 });
      memory = createTestMemory({
        db: t.db,
        config: {
          vectorDimension: DIM,
          dataDir: '/nonexistent',
          qdrantUrl: server.url,
          qdrantApiKey: 'sekret',
        },
        backend,
        startRelay: false,
      });
    });

    after(async () => {
      await memory?.close();
      await server?.stop();
      await t?.drop();
    });

    it('bootstrap creates missing collections and adds payload indexes to an existing one', async () => {
      const results = await memory.bootstrap();
      const existing = results.find((r) => r.collection === 'task_embeddings');
      assert.equal(existing?.created, false);
      assert.ok(existing?.addedPayloadIndexes.includes('tenant_id'));
      assert.ok(existing?.addedPayloadIndexes.includes('session_id'));
      assert.ok(results.filter((r) => r.created).length >= 5);
      const tenantIndex = server.requests.find(
        (r) =>
          r.path === '/collections/task_embeddings/index' &&
          (r.body as { field_name: string }).field_name === 'tenant_id',
      );
      assert.deepEqual(
        (tenantIndex?.body as { field_schema: unknown } | undefined)?.field_schema,
        version === 'v1.9.x' ? 'keyword' : { type: 'keyword', is_tenant: true },
      );
      assert.equal(server.aliases.get('task_embeddings_active'), 'task_embeddings');
      // A second run adds nothing.
      const again = await memory.bootstrap();
      assert.ok(again.every((r) => !r.created && r.addedPayloadIndexes.length === 0));
      const status = await backend.describe('summaries', collectionRegistry(DIM).get('summaries')!);
      assert.deepEqual(status.missingPayloadIndexes, []);
      assert.deepEqual(status.drift, []);
      (server.collections.get('summaries')!.params as { hnsw_config: { m: number } }).hnsw_config.m = 32;
      const drifted = await backend.describe('summaries', collectionRegistry(DIM).get('summaries')!);
      assert.deepEqual(drifted.drift, ['hnsw m 32 (registry 16)']);
      (server.collections.get('summaries')!.params as { hnsw_config: { m: number } }).hnsw_config.m = 16;
    });

    it('upserts through the outbox in chunks with wait=true, then searches with the right endpoint', async () => {
      const points = Array.from({ length: 20 }, (_, i) => ({
        key: ['qa', i],
        vector: vec(i % DIM, i),
        payload: { session_id: i < 15 ? 's1' : 's2', timestamp: 1000 + i },
      }));
      const { ids } = await memory.upsert(tenant, 'task_embeddings', points);
      assert.equal(await memory.flush(), 0);
      const upserts = server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/points'));
      assert.equal(upserts.length, 3, '20 points in chunks of ≤ 7');
      assert.equal(server.collections.get('task_embeddings')?.points.size, 20);
      const hits = await memory.search(tenant, 'task_embeddings', {
        vector: vec(0),
        limit: 3,
        filter: { must: [{ key: 'session_id', match: { value: 's1' } }] },
      });
      assert.equal(hits.length, 3);
      assert.equal(hits[0]?.id, ids[0]);
      const searchCalls = server.requests.filter((r) => /\/points\/(query|search)$/.test(r.path));
      assert.ok(searchCalls.length >= 1);
      assert.deepEqual(
        new Set(searchCalls.map((r) => r.path.split('/').at(-1))),
        new Set([hasQuery ? 'query' : 'search']),
      );
      const sent = searchCalls.at(-1)?.body as { filter: { must: Array<{ key?: string }> } };
      assert.equal(sent.filter.must[0]?.key, 'tenant_id', 'tenant condition composed server-side');
      const mmr = await memory.search(tenant, 'task_embeddings', {
        vector: vec(0),
        limit: 3,
        mmr: { lambda: 0.5 },
      });
      assert.equal(mmr.length, 3);
    });

    it('recent-by-session scrolls with order_by timestamp', async () => {
      const recent = await memory.recentBySession(tenant, 'task_embeddings', 's1', 4);
      assert.deepEqual(
        recent.map((h) => h.payload['timestamp']),
        [1014, 1013, 1012, 1011],
      );
      const scroll = server.requests.filter((r) => r.path.endsWith('/points/scroll')).at(-1);
      assert.deepEqual((scroll?.body as { order_by: unknown } | undefined)?.order_by, {
        key: 'timestamp',
        direction: 'desc',
      });
    });

    it('deletes by filter and counts', async () => {
      assert.equal(
        await memory.deleteByFilter(tenant, 'task_embeddings', {
          must: [{ key: 'session_id', match: { value: 's2' } }],
        }),
        5,
      );
      await memory.flush();
      assert.equal(await memory.count(tenant, 'task_embeddings'), 15);
    });

    it('keeps writes while Qdrant answers 503 and delivers them after recovery', async () => {
      server.failWritesWith = 503;
      await memory.upsert(tenant, 'summaries', [
        { key: ['outage'], vector: vec(3), payload: { session_id: 's1' } },
      ]);
      const pass = await memory.deliverOnce();
      assert.equal(pass.failed, 1);
      server.failWritesWith = undefined;
      assert.equal(await memory.flush({ force: true }), 0);
      assert.equal(await memory.count(tenant, 'summaries'), 1);
    });

    it('falls back from /points/query to /points/search on a 404 once, when the version is unknown', {
      skip: !hasSearch,
    }, async () => {
      const probe = new QdrantBackend({ url: server.url });
      server.reportedVersion = 'dev';
      const filter = { must: [{ key: 'tenant_id', match: { value: tenant } }] };
      const before = server.requests.length;
      await probe.search('task_embeddings', {
        vector: Float32Array.from(vec(1)),
        filter,
        limit: 2,
        withVector: false,
      });
      await probe.search('task_embeddings', {
        vector: Float32Array.from(vec(1)),
        filter,
        limit: 2,
        withVector: false,
      });
      const paths = server.requests
        .slice(before)
        .map((r) => r.path)
        .filter((p) => p.includes('/points/'));
      const expected = hasQuery ? ['query', 'query'] : ['query', 'search', 'search'];
      assert.deepEqual(
        paths.map((p) => p.split('/').at(-1)),
        expected,
      );
    });

    it('every request was schema-valid, every write waited, every call carried api-key and traceparent', () => {
      assert.deepEqual(server.violations, []);
      const writes = server.requests.filter(
        (r) => (r.method === 'PUT' && /\/(points|index)$/.test(r.path)) || r.path.endsWith('/points/delete'),
      );
      assert.ok(writes.length > 0);
      for (const w of writes) assert.equal(w.query['wait'], 'true', `${w.method} ${w.path}`);
      for (const r of server.requests.filter((x) => x.headers['api-key'] !== undefined || x.path !== '/')) {
        if (r.headers['api-key'] === undefined) continue;
        assert.equal(r.headers['api-key'], 'sekret');
      }
      const fromMemory = server.requests.filter((r) => r.headers['api-key'] === 'sekret');
      assert.ok(fromMemory.length > 10);
      for (const r of server.requests)
        assert.match(String(r.headers['traceparent']), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    });
  });
}

describe('Qdrant down at start-up', () => {
  it('accepts writes into the outbox and delivers them once Qdrant answers', async () => {
    const t = await createTestDatabase();
    const server = await new QdrantContractServer('v1.15.x').start();
    try {
      const tenant = await createTenant(t.db);
      server.down = true;
      const memory = createTestMemory({
        db: t.db,
        config: {
          vectorDimension: DIM,
          dataDir: '/nonexistent',
          qdrantUrl: server.url,
          qdrantApiKey: undefined,
        },
        startRelay: false,
      });
      const { ids } = await memory.upsert(tenant, 'cases', [
        { key: ['while-down'], vector: vec(2), payload: { user_id: 'u' } },
      ]);
      await assert.rejects(memory.search(tenant, 'cases', { vector: vec(2) }), {
        code: 'VECTOR_BACKEND_FAILED',
      });
      server.down = false;
      assert.equal(await memory.flush({ force: true }), 0);
      const hits = await memory.search(tenant, 'cases', { vector: vec(2), limit: 1 });
      assert.equal(hits[0]?.id, ids[0]);
      assert.deepEqual(server.violations, []);
      await memory.close();
    } finally {
      await server.stop();
      await t.drop();
    }
  });
});

describe('the contract server itself', () => {
  it('flags bodies and parameters a version does not define (so the contract tests can fail)', async () => {
    const server = await new QdrantContractServer('v1.9.x').start();
    try {
      server.collections.set('c', {
        params: { vectors: { size: 2, distance: 'Cosine' } },
        points: new Map(),
        payloadSchema: new Map(),
      });
      const put = (path: string, body: unknown) =>
        fetch(`${server.url}${path}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      await put('/collections/c/index?wait=true', {
        field_name: 'tenant_id',
        field_schema: { type: 'keyword', is_tenant: true },
      });
      await put('/collections/c/points?wait=true&bogus=1', {
        points: [{ id: 'not-a-uuid', vector: [1, 0] }],
      });
      await put('/collections/c/points?wait=true', { points: [], extra_field: 1 });
      const query = await fetch(`${server.url}/collections/c/points/query`, { method: 'POST', body: '{}' });
      assert.equal(query.status, 404, 'v1.9 has no /points/query');
      assert.equal(server.violations.length, 4, server.violations.join('\n'));
    } finally {
      await server.stop();
    }
  });
});
