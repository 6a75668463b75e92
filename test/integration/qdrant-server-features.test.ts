/**
 * Qdrant features used where the server has them, checked against each vendored OpenAPI document
 * (the contract stand-in answers as the server would): MMR re-ranked by the server (≥ 1.15,
 * `query: {nearest, mmr}`), client-side on 1.9 with the same outcome; upserts guarded by a
 * version filter (`update_filter`, 1.19), so a stale delivery cannot put back older content,
 * and none sent where the document does not define it; ACORN asked for on filtered searches
 * (1.19's document; not on 1.9 or 1.15, whose documents lack it); a rate-limited server (429 with
 * Retry-After, strict mode from 1.13) treated as backpressure, not as a failure.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { IndexedPoint } from '../../src/memory/backend.js';
import { collectionRegistry } from '../../src/memory/collections.js';
import type { Memory } from '../../src/memory/memory.js';
import type { QdrantBackend } from '../../src/memory/qdrant/qdrant-backend.js';
import { toHttpError } from '../../src/server/http-errors.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createQdrantTestMemory } from '../helpers/memory.js';
import {
  QDRANT_VERSIONS,
  QdrantContractServer,
  type RecordedRequest,
} from '../helpers/qdrant-contract-server.js';

const DIM = 16;
const vec = (axis: number) => Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0.05));
const body = (r: RecordedRequest) => r.body as Record<string, unknown>;

for (const version of QDRANT_VERSIONS) {
  const serverMmr = version !== 'v1.9.x';
  const guarded = version === 'v1.19.x';
  // ACORN (1.16+): the document defines SearchParams.acorn where it exists.
  const acorn = version === 'v1.19.x';
  // Strict mode's rate limits (1.13+): the document defines write_rate_limit where they exist.
  const strictMode = readFileSync(
    new URL(`../fixtures/qdrant-openapi/${version}.json`, import.meta.url),
    'utf8',
  ).includes('"write_rate_limit"');
  describe(`Qdrant server features against the ${version} OpenAPI document`, () => {
    let t: TestDatabase;
    let server: QdrantContractServer;
    let memory: Memory;
    let backend: QdrantBackend;
    let tenant: string;

    before(async () => {
      t = await createTestDatabase();
      tenant = await createTenant(t.db);
      server = await new QdrantContractServer(version).start();
      ({ memory, backend } = createQdrantTestMemory({ db: t.db, url: server.url, dimension: DIM }));
    });

    after(async () => {
      await memory?.close();
      await server?.stop();
      await t?.drop();
    });

    it(`MMR ${serverMmr ? 'is done by the server' : 'falls back to the client'} and promotes the diverse point`, async () => {
      const q = vec(10);
      const dup = (w: number) => q.map((x, i) => x + (i === 12 ? 0.001 * w : 0));
      const diverse = q.map((x, i) => (i === 13 ? 0.9 : x));
      const { ids } = await memory.upsert(tenant, 'document_chunks', [
        { key: ['d', 0], vector: dup(0), payload: { document_id: 'doc' } },
        { key: ['d', 1], vector: dup(1), payload: { document_id: 'doc' } },
        { key: ['d', 2], vector: dup(2), payload: { document_id: 'doc' } },
        { key: ['d', 3], vector: diverse, payload: { document_id: 'doc' } },
      ]);
      assert.equal(await memory.flush(), 0);
      const plain = await memory.search(tenant, 'document_chunks', { vector: q, limit: 3 });
      const from = server.requests.length;
      const mmr = await memory.search(tenant, 'document_chunks', {
        vector: q,
        limit: 3,
        mmr: { lambda: 0.5, poolMultiplier: 4 },
      });
      assert.ok(!plain.some((h) => h.id === ids[3]), 'plain similarity returns the three duplicates');
      assert.ok(
        mmr.some((h) => h.id === ids[3]),
        'MMR promotes the diverse point',
      );
      assert.equal(mmr[0]?.id, plain[0]?.id);
      const read = server.requests.slice(from).find((r) => /\/points\/(query|search)$/.test(r.path))!;
      if (serverMmr) {
        assert.deepEqual(body(read)['query'], {
          nearest: Array.from(Float32Array.from(q)),
          mmr: { diversity: 0.5, candidates_limit: 12 },
        });
        assert.equal(body(read)['limit'], 3);
        assert.equal(body(read)['with_vector'], false, 'no vectors travel back for the server to re-rank');
      } else {
        assert.match(read.path, /\/points\/search$/);
        assert.equal(body(read)['limit'], 12);
        assert.equal(body(read)['with_vector'], true, 'the client needs the candidates’ vectors');
      }
      assert.deepEqual(server.violations, []);
    });

    it(
      guarded
        ? 'a stale delivery does not replace a newer point'
        : 'no update_filter is sent where the document has none',
      async () => {
        await memory.bootstrap();
        const physical = (
          await t.db.query<{ physical_name: string }>(
            `SELECT physical_name FROM public.memory_collection_versions WHERE collection = 'cases' AND state = 'active'`,
          )
        ).rows[0]!.physical_name;
        const point = (version: number, note: string): IndexedPoint => ({
          id: '00000000-0000-4000-8000-0000000000aa',
          key: 1n,
          vector: Float32Array.from(vec(1)),
          payload: { tenant_id: tenant, _version: version, note },
          version,
        });
        await backend.upsert(physical, [point(2, 'newer')]);
        await backend.upsert(physical, [point(1, 'stale')]);
        const writes = server.requests.filter(
          (r) => r.method === 'PUT' && r.path === `/collections/${physical}/points`,
        );
        const stored = server.collections.get(physical)!.points.get('00000000-0000-4000-8000-0000000000aa')!;
        if (guarded) {
          assert.ok(writes.every((r) => body(r)['update_filter'] !== undefined));
          assert.equal(stored.payload['note'], 'newer', 'the stale version was not applied');
          await backend.upsert(physical, [point(3, 'newest')]);
          assert.equal(
            server.collections.get(physical)!.points.get('00000000-0000-4000-8000-0000000000aa')!.payload[
              'note'
            ],
            'newest',
          );
        } else {
          assert.ok(writes.every((r) => body(r)['update_filter'] === undefined));
          // Without the guard the later write wins, as it always did; the relay delivers the
          // current state of a point, so this needs two deliveries racing.
          assert.equal(stored.payload['note'], 'stale');
        }
        assert.ok(collectionRegistry(DIM).get('cases'));
        assert.deepEqual(server.violations, []);
      },
    );

    it('a rate-limited server (429) is backpressure: rows wait its Retry-After without an attempt, no breaker opens, a search answers 503 with Retry-After', {
      skip: !strictMode && 'strict mode (rate limits) exists from Qdrant 1.13',
    }, async () => {
      server.rateLimit = { writes: true, reads: true, retryAfterSeconds: 2 };
      try {
        await memory.upsert(tenant, 'summaries', [
          { key: ['busy'], vector: vec(4), payload: { session_id: 's' } },
        ]);
        const pass = await memory.deliverOnce();
        assert.deepEqual([pass.deferred, pass.failed, pass.delivered], [1, 0, 0]);
        const { rows } = await t.db.query<{ attempts: number; waits: boolean; last_error: string }>(
          `SELECT attempts, next_attempt_at > now() + interval '1 second' AS waits, last_error
             FROM public.memory_outbox WHERE delivered_at IS NULL`,
        );
        assert.deepEqual(
          rows.map((r) => [r.attempts, r.waits]),
          [[0, true]],
          'deferred by Retry-After (2 s), not counted as an attempt',
        );
        assert.match(rows[0]!.last_error, /429/);
        // More refusals than the breaker's threshold (5): it stays closed, each answer says when to retry.
        for (let i = 0; i < 8; i += 1) {
          await assert.rejects(
            memory.search(tenant, 'summaries', { vector: vec(4), limit: 1 }),
            (e: Error & { code?: string; details?: Record<string, unknown> }) =>
              e.code === 'VECTOR_BACKEND_BUSY' && e.details?.['retryAfterMs'] === 2000,
          );
        }
        assert.equal(backend.http.breaker.state, 'closed');
        const answer = toHttpError(
          await memory.search(tenant, 'summaries', { vector: vec(4), limit: 1 }).catch((e: unknown) => e),
        );
        assert.deepEqual([answer.status, answer.retryAfterSeconds], [503, 2]);
      } finally {
        server.rateLimit = undefined;
      }
      assert.equal(await memory.flush({ force: true }), 0);
      const hits = await memory.search(tenant, 'summaries', { vector: vec(4), limit: 1 });
      assert.equal(hits.length, 1);
    });

    it(`a search with a caller's filter ${acorn ? 'asks for ACORN' : 'sends no ACORN parameter (the document has none)'}; a tenant-only search never does`, async () => {
      await memory.upsert(tenant, 'summaries', [
        { key: ['acorn', 1], vector: vec(6), payload: { session_id: 'acorn' } },
        { key: ['acorn', 2], vector: vec(7), payload: { session_id: 'other' } },
      ]);
      assert.equal(await memory.flush(), 0);
      const from = server.requests.length;
      const filtered = await memory.search(tenant, 'summaries', {
        vector: vec(6),
        limit: 2,
        filter: { must: [{ key: 'session_id', match: { value: 'acorn' } }] },
      });
      assert.equal(filtered.length, 1);
      await memory.search(tenant, 'summaries', { vector: vec(6), limit: 2 });
      const reads = server.requests.slice(from).filter((r) => /\/points\/(query|search)$/.test(r.path));
      assert.equal(reads.length, 2);
      assert.deepEqual(body(reads[0]!)['params'], acorn ? { acorn: { enable: true } } : undefined);
      assert.equal(body(reads[1]!)['params'], undefined);
      assert.deepEqual(server.violations, []);
    });
  });
}
