import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { VectorBackend } from '../../src/memory/backend.js';
import { EmbeddedBackend } from '../../src/memory/embedded/embedded-backend.js';
import { loadCollectionPoints, type Memory } from '../../src/memory/memory.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTestMemory } from '../helpers/memory.js';

const DIM = 16;

/** A unit vector near axis `axis` (plus a small deterministic wobble `w`). */
function vec(axis: number, w = 0): number[] {
  const v = Array.from({ length: DIM }, (_, i) => (i === axis % DIM ? 1 : 0.01 * ((i * 7 + w) % 5)));
  v[(axis + 1) % DIM] = (v[(axis + 1) % DIM] as number) + w * 0.05;
  return v;
}

describe('vector memory on the embedded backend', () => {
  let t: TestDatabase;
  let dataDir: string;
  let memory: Memory;
  let tenant: string;
  let other: string;

  before(async () => {
    t = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'memory-embedded-'));
    tenant = await createTenant(t.db);
    other = await createTenant(t.db);
    memory = createTestMemory({
      db: t.db,
      config: { vectorDimension: DIM, dataDir, qdrantUrl: undefined, qdrantApiKey: undefined },
      metrics: t.metrics,
      startRelay: false,
    });
    await memory.init();
  });

  after(async () => {
    await memory?.close();
    await t?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores, relays and finds points; the tenant filter is always applied', async () => {
    const { ids } = await memory.upsert(tenant, 'task_embeddings', [
      { key: ['qa-1', 0], vector: vec(0), payload: { session_id: 's1', query: 'q1', answer: 'a1' } },
      { key: ['qa-2', 0], vector: vec(3), payload: { session_id: 's1', query: 'q2', answer: 'a2' } },
    ]);
    await memory.upsert(other, 'task_embeddings', [
      { key: ['qa-1', 0], vector: vec(0), payload: { session_id: 's1' } },
    ]);
    assert.equal(await memory.flush(), 0);
    const hits = await memory.search(tenant, 'task_embeddings', { vector: vec(0), limit: 5 });
    assert.equal(hits.length, 2);
    assert.equal(hits[0]?.id, ids[0]);
    assert.equal(hits[0]?.payload['answer'], 'a1');
    assert.equal(hits[0]?.payload['tenant_id'], undefined, 'reserved keys are not returned');
    assert.ok((hits[0]?.score ?? 0) > 0.99);
    const theirs = await memory.search(other, 'task_embeddings', { vector: vec(0), limit: 5 });
    assert.equal(theirs.length, 1);
    assert.notEqual(theirs[0]?.id, ids[0], 'same natural key, different tenant → different id');
    const thresholded = await memory.search(tenant, 'task_embeddings', {
      vector: vec(0),
      scoreThreshold: 0.9,
    });
    assert.equal(thresholded.length, 1);
    await assert.rejects(
      memory.search(tenant, 'task_embeddings', {
        vector: vec(0),
        filter: { must: [{ key: 'tenant_id', match: { value: other } }] },
      }),
      { code: 'VALIDATION_FAILED', field: 'filter.must[0].key' },
    );
  });

  it('a retried write is idempotent: same id, no new version, no outbox row', async () => {
    const point = { key: ['retry', 1], vector: vec(5), payload: { session_id: 's9', timestamp: 100 } };
    const first = await memory.upsert(tenant, 'summaries', [point]);
    const again = await memory.upsert(tenant, 'summaries', [point]);
    assert.deepEqual(again.ids, first.ids);
    assert.equal(first.changed, 1);
    assert.equal(again.changed, 0);
    const rows = await t.db.query(`SELECT count(*)::int AS n FROM memory_outbox WHERE point_id = $1`, [
      first.ids[0],
    ]);
    assert.equal(rows.rows[0]?.['n'], 1);
  });

  it('rejects invalid vectors and reserved payload keys before anything is stored', async () => {
    const before = await t.db.query(`SELECT count(*)::int AS n FROM memory_points`);
    const bad = [Number.NaN, Number.POSITIVE_INFINITY, 1e39];
    for (const value of bad) {
      const v = vec(1);
      v[7] = value;
      await assert.rejects(
        memory.upsert(tenant, 'cases', [
          { key: ['ok'], vector: vec(1) },
          { key: ['bad'], vector: v },
        ]),
        { code: 'VALIDATION_FAILED', field: 'points[1].vector[7]' },
      );
    }
    await assert.rejects(memory.upsert(tenant, 'cases', [{ key: ['x'], vector: [1, 2, 3] }]), {
      field: 'points[0].vector',
    });
    await assert.rejects(
      memory.upsert(tenant, 'cases', [{ key: ['x'], vector: vec(1), payload: { tenant_id: other } }]),
      { field: 'points[0].payload.tenant_id' },
    );
    const afterCount = await t.db.query(`SELECT count(*)::int AS n FROM memory_points`);
    assert.deepEqual(afterCount.rows, before.rows);
  });

  it("writes in the caller's transaction: a rollback leaves neither point nor outbox row", async () => {
    const failure = new Error('caller failed');
    await assert.rejects(
      t.db.withTransaction(
        async (tx) => {
          await memory.upsert(tenant, 'tool_results', [{ key: ['tx', 1], vector: vec(2) }], { tx });
          throw failure;
        },
        { tenantId: tenant },
      ),
      failure,
    );
    const n =
      await t.db.query(`SELECT (SELECT count(*) FROM memory_points WHERE collection = 'tool_results')::int AS p,
      (SELECT count(*) FROM memory_outbox WHERE collection = 'tool_results')::int AS o`);
    assert.deepEqual(n.rows[0], { p: 0, o: 0 });
    await t.db.withTransaction(
      async (tx) => memory.upsert(tenant, 'tool_results', [{ key: ['tx', 1], vector: vec(2) }], { tx }),
      { tenantId: tenant },
    );
    await memory.flush();
    assert.equal(await memory.count(tenant, 'tool_results'), 1);
  });

  it('recentBySession returns the newest points by timestamp with more points than the limit', async () => {
    // Ids are UUIDv5 (random order); timestamps are shuffled relative to insertion order.
    const stamps = Array.from({ length: 120 }, (_, i) => 1_000 + ((i * 37) % 120));
    const points = stamps.map((ts, i) => ({
      key: ['recent', i],
      vector: vec(i, i),
      payload: { session_id: 'busy', timestamp: ts },
    }));
    await memory.upsert(tenant, 'task_embeddings', points);
    await memory.upsert(tenant, 'task_embeddings', [
      { key: ['recent-other'], vector: vec(1), payload: { session_id: 'quiet', timestamp: 99_999 } },
    ]);
    await memory.flush();
    const recent = await memory.recentBySession(tenant, 'task_embeddings', 'busy', 10);
    assert.deepEqual(
      recent.map((h) => h.payload['timestamp']),
      [1119, 1118, 1117, 1116, 1115, 1114, 1113, 1112, 1111, 1110],
    );
  });

  it('MMR reorders near-duplicates below a diverse hit', async () => {
    const q = vec(10);
    const dup = (w: number) => q.map((x, i) => x + (i === 12 ? 0.001 * w : 0));
    const diverse = q.map((x, i) => (i === 13 ? 0.9 : x));
    const { ids } = await memory.upsert(tenant, 'document_chunks', [
      { key: ['d', 0], vector: dup(0), payload: { document_id: 'doc' } },
      { key: ['d', 1], vector: dup(1), payload: { document_id: 'doc' } },
      { key: ['d', 2], vector: dup(2), payload: { document_id: 'doc' } },
      { key: ['d', 3], vector: diverse, payload: { document_id: 'doc' } },
    ]);
    await memory.flush();
    const plain = await memory.search(tenant, 'document_chunks', { vector: q, limit: 3 });
    const mmr = await memory.search(tenant, 'document_chunks', { vector: q, limit: 3, mmr: { lambda: 0.5 } });
    assert.ok(!plain.some((h) => h.id === ids[3]), 'plain similarity returns the three duplicates');
    assert.ok(
      mmr.some((h) => h.id === ids[3]),
      'MMR promotes the diverse point',
    );
    assert.equal(mmr[0]?.id, plain[0]?.id);
  });

  it('updates payloads and deletes by filter through the outbox', async () => {
    const { ids } = await memory.upsert(tenant, 'cases', [
      { key: ['c', 1], vector: vec(4), payload: { user_id: 'u1', reward: 1 } },
      { key: ['c', 2], vector: vec(5), payload: { user_id: 'u2', reward: 0 } },
    ]);
    assert.equal(await memory.updatePayload(tenant, 'cases', ids[1] as string, { reward: 5 }), true);
    await memory.flush();
    assert.equal(await memory.count(tenant, 'cases', { must: [{ key: 'reward', range: { gte: 1 } }] }), 2);
    assert.equal(
      await memory.deleteByFilter(tenant, 'cases', { must: [{ key: 'user_id', match: { value: 'u1' } }] }),
      1,
    );
    assert.equal(
      await memory.deleteByFilter(other, 'cases', {
        must: [{ key: 'user_id', match: { any: ['u1', 'u2'] } }],
      }),
      0,
      'another tenant deletes nothing of ours',
    );
    await memory.flush();
    assert.equal(await memory.count(tenant, 'cases'), 1);
  });

  it('a restart loads the snapshot and catches up with changes made while it was down', async () => {
    await memory.upsert(tenant, 'summaries', [
      { key: ['before-restart'], vector: vec(8), payload: { session_id: 'r' } },
    ]);
    await memory.flush();
    await memory.close();
    // While "down": a writer without a relay changes PostgreSQL only.
    const writer = createTestMemory({
      db: t.db,
      config: { vectorDimension: DIM, dataDir, qdrantUrl: undefined, qdrantApiKey: undefined },
      startRelay: false,
      snapshotDir: null,
      backend: new EmbeddedBackend({ dataDir: undefined, loadPoints: (p) => loadCollectionPoints(t.db, p) }),
    });
    const { ids } = await writer.upsert(tenant, 'summaries', [
      { key: ['while-down'], vector: vec(9), payload: { session_id: 'r' } },
    ]);
    await writer.close();
    memory = createTestMemory({
      db: t.db,
      config: { vectorDimension: DIM, dataDir, qdrantUrl: undefined, qdrantApiKey: undefined },
      startRelay: false,
    });
    const hits = await memory.search(tenant, 'summaries', { vector: vec(9), limit: 1 });
    assert.equal(hits[0]?.id, ids[0]);
    assert.equal(
      await memory.count(tenant, 'summaries', { must: [{ key: 'session_id', match: { value: 'r' } }] }),
      2,
    );
  });
});

/** Wraps a backend so writes fail while `failing` is true (an index outage). */
function flaky(inner: VectorBackend, state: { failing: boolean }): VectorBackend {
  const fail = async () => {
    throw new Error('index backend down');
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if ((prop === 'upsert' || prop === 'delete') && typeof value === 'function') {
        return (...args: unknown[]) => (state.failing ? fail() : value.apply(target, args));
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('outbox under an index outage', () => {
  it('accepts writes while the backend fails and loses none after recovery', async () => {
    const t = await createTestDatabase();
    try {
      const tenant = await createTenant(t.db);
      const state = { failing: true };
      const backend = flaky(
        new EmbeddedBackend({ dataDir: undefined, loadPoints: (p) => loadCollectionPoints(t.db, p) }),
        state,
      );
      const memory = createTestMemory({
        db: t.db,
        config: {
          vectorDimension: DIM,
          dataDir: '/nonexistent',
          qdrantUrl: undefined,
          qdrantApiKey: undefined,
        },
        backend,
        metrics: t.metrics,
        relayIntervalMs: 20,
        relayRetryBaseMs: 10,
      });
      const ids: string[] = [];
      for (let batch = 0; batch < 20; batch += 1) {
        const points = Array.from({ length: 10 }, (_, i) => ({
          key: ['outage', batch, i],
          vector: vec(batch + i, i),
          payload: { n: batch * 10 + i },
        }));
        ids.push(...(await memory.upsert(tenant, 'task_embeddings', points)).ids);
      }
      // Wait (bounded) until the background relay has failed at least twice on every batch it tried.
      const deadline = Date.now() + 20_000;
      let pending = await t.db.query(
        `SELECT count(*)::int AS n, max(attempts) AS a FROM memory_outbox WHERE delivered_at IS NULL`,
      );
      while (Number(pending.rows[0]?.['a'] ?? 0) < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        pending = await t.db.query(
          `SELECT count(*)::int AS n, max(attempts) AS a FROM memory_outbox WHERE delivered_at IS NULL`,
        );
      }
      assert.equal(pending.rows[0]?.['n'], 200, 'nothing delivered, nothing dropped');
      assert.ok(Number(pending.rows[0]?.['a']) >= 2, 'the relay kept retrying with backoff');
      state.failing = false;
      assert.equal(await memory.flush({ force: true, timeoutMs: 30_000 }), 0);
      assert.equal(await memory.count(tenant, 'task_embeddings'), 200);
      for (const [i, id] of ids.entries()) {
        if (i % 17 !== 0) continue;
        const hits = await memory.search(tenant, 'task_embeddings', {
          vector: vec(Math.floor(i / 10) + (i % 10), i % 10),
          limit: 10,
        });
        assert.ok(
          hits.some((h) => h.id === id),
          `point ${i} is searchable`,
        );
      }
      const failures = await t.metrics.registry.getSingleMetricAsString(
        'shannon_memory_relay_failures_total',
      );
      assert.match(failures, /collection="task_embeddings"} [1-9]/);
      await memory.close();
    } finally {
      await t.drop();
    }
  });
});
