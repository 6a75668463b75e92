/**
 * The outbox relay's throughput guards (src/memory/outbox-relay.ts). Each pass loads the current
 * state of the points its outbox rows name (POINTS_BY_IDS); that lookup must cost the same per
 * point however many points the tenant already has, or delivery slows down as a tenant grows.
 * On the embedded index a pass claims more rows than on Qdrant, and hands them to the index in
 * chunks with the event loop let run in between.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VectorBackend } from '../../src/memory/backend.js';
import { EmbeddedBackend } from '../../src/memory/embedded/embedded-backend.js';
import { loadCollectionPoints, type Memory } from '../../src/memory/memory.js';
import { CLAIM_OUTBOX, POINTS_BY_IDS, RELAY_LOCK } from '../../src/memory/memory-queries.js';
import {
  DEFAULT_EMBEDDED_RELAY_BATCH_SIZE,
  DEFAULT_RELAY_BATCH_SIZE,
  EMBEDDED_UPSERT_CHUNK,
  OutboxRelay,
  RELAY_LOCK_KEY,
} from '../../src/memory/outbox-relay.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTestMemory } from '../helpers/memory.js';

const DIM = 8;
const vector = (i: number) =>
  Array.from({ length: DIM }, (_, d) => (d === i % DIM ? 1 : 0.01 * ((i + d) % 7)));

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  /** EXPLAIN reports rows per loop: the totals are these times the loops. */
  'Actual Loops': number;
  'Actual Rows': number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('outbox relay', () => {
  let t: TestDatabase;
  let memory: Memory;
  let tenant: string;

  before(async () => {
    t = await createTestDatabase();
    tenant = await createTenant(t.db);
    memory = createTestMemory({
      db: t.db,
      config: {
        vectorDimension: DIM,
        dataDir: '/nonexistent',
        qdrantUrl: undefined,
        qdrantApiKey: undefined,
      },
      snapshotDir: null,
      startRelay: false,
    });
    await memory.init();
  });

  after(async () => {
    await memory?.close();
    await t?.drop();
  });

  it("loads a batch's points by (collection, id), not by scanning every point of the tenant", async () => {
    // A tenant that the statistics do not know yet (a fresh, never analyzed table here): the case
    // in which the planner took the (tenant_id, collection, created_at) index and read all 4,000
    // points of the tenant for each id of a pass (32 here: a steady trickle; a full backlog of 256
    // ids did the same from about 20,000 points on, where a hash join over the table cost more).
    for (let start = 0; start < 4_000; start += 500) {
      const points = Array.from({ length: 500 }, (_, i) => ({
        key: ['relay-lookup', start + i],
        vector: vector(start + i),
        payload: { n: start + i },
      }));
      await memory.upsert(tenant, 'task_embeddings', points);
    }
    const { rows } = await t.db.query<{ tenant_id: string; collection: string; point_id: string }>(
      `SELECT tenant_id::text AS tenant_id, collection, point_id::text AS point_id
       FROM public.memory_outbox ORDER BY id DESC LIMIT 32`,
    );
    assert.equal(rows.length, 32);
    const params = [rows.map((r) => r.tenant_id), rows.map((r) => r.collection), rows.map((r) => r.point_id)];
    const explained = await t.db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${POINTS_BY_IDS}`,
      params,
    );
    const plan = nodes(explained.rows[0]!['QUERY PLAN'][0]!.Plan);
    const removed = plan.reduce(
      (sum, n) =>
        sum +
        ((n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Join Filter'] ?? 0)) * n['Actual Loops'],
      0,
    );
    assert.ok(
      removed < rows.length,
      `the lookup read ${removed} rows it did not return (${JSON.stringify(plan.map((n) => n['Index Name'] ?? n['Node Type']))})`,
    );
    assert.ok(!plan.some((n) => n['Index Name'] === 'memory_points_tenant_collection_created_idx'));
    // The query still answers what the relay asks: every point, its own tenant only.
    const found = await t.db.query(POINTS_BY_IDS, params);
    assert.equal(found.rows.length, 32);
    const other = await createTenant(t.db);
    const foreign = await t.db.query(POINTS_BY_IDS, [rows.map(() => other), params[1], params[2]]);
    assert.equal(foreign.rows.length, 0, "another tenant's ids find nothing");
  });

  it('claims a batch by walking the pending index, not by sorting the whole backlog', async () => {
    // The 4,000 rows of the test above are all pending; the statistics know nothing of them.
    const plan = await t.db.withTransaction(async (tx) => {
      const lock = await tx.query<{ ok: boolean }>(RELAY_LOCK, [RELAY_LOCK_KEY]);
      assert.equal(lock.rows[0]?.ok, true);
      const explained = await tx.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${CLAIM_OUTBOX}`,
        [32],
      );
      return nodes(explained.rows[0]!['QUERY PLAN'][0]!.Plan);
    });
    const read = Math.max(...plan.map((n) => n['Actual Rows'] * n['Actual Loops']));
    assert.ok(
      read <= 32,
      `the claim read ${read} rows for a batch of 32 (${JSON.stringify(plan.map((n) => n['Index Name'] ?? n['Node Type']))})`,
    );
  });
});

/**
 * Records the size of every upsert call and whether the event loop ran (a setImmediate queued at
 * the previous call fired) before it; `kind` pretends to be another backend.
 */
function recording(inner: VectorBackend, kind: VectorBackend['kind'] = inner.kind) {
  const calls: Array<{ points: number; loopRanBefore: boolean }> = [];
  let loopRan = true;
  const backend = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'kind') return kind;
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'upsert' && typeof value === 'function') {
        return (physical: string, points: readonly unknown[]) => {
          calls.push({ points: points.length, loopRanBefore: loopRan });
          loopRan = false;
          setImmediate(() => {
            loopRan = true;
          });
          return value.call(target, physical, points);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { backend, calls };
}

describe('outbox relay batch sizes', () => {
  it('claims 1,024 rows a pass on the embedded index, in chunks of 256 with the event loop let run; 256 on Qdrant', async () => {
    const t = await createTestDatabase();
    try {
      const tenant = await createTenant(t.db);
      const embedded = recording(
        new EmbeddedBackend({ dataDir: undefined, loadPoints: (p) => loadCollectionPoints(t.db, p) }),
      );
      const memory = createTestMemory({
        db: t.db,
        config: {
          vectorDimension: DIM,
          dataDir: '/nonexistent',
          qdrantUrl: undefined,
          qdrantApiKey: undefined,
        },
        backend: embedded.backend,
        startRelay: false,
      });
      await memory.init();
      for (let start = 0; start < 1_500; start += 500) {
        const points = Array.from({ length: 500 }, (_, i) => ({
          key: ['relay-batch', start + i],
          vector: vector(start + i),
          payload: { n: start + i },
        }));
        await memory.upsert(tenant, 'task_embeddings', points);
      }
      // Qdrant splits its own requests: its relay claims 256 rows and sends them in one call.
      const qdrantLike = recording(embedded.backend, 'qdrant');
      const qdrantPass = await new OutboxRelay({ db: t.db, backend: qdrantLike.backend }).runOnce();
      assert.equal(qdrantPass.claimed, DEFAULT_RELAY_BATCH_SIZE);
      assert.deepEqual(
        qdrantLike.calls.map((c) => c.points),
        [DEFAULT_RELAY_BATCH_SIZE],
      );
      embedded.calls.length = 0;
      const pass = await memory.deliverOnce();
      assert.equal(pass.claimed, DEFAULT_EMBEDDED_RELAY_BATCH_SIZE);
      assert.equal(pass.delivered, DEFAULT_EMBEDDED_RELAY_BATCH_SIZE);
      assert.deepEqual(
        embedded.calls.map((c) => c.points),
        Array(DEFAULT_EMBEDDED_RELAY_BATCH_SIZE / EMBEDDED_UPSERT_CHUNK).fill(EMBEDDED_UPSERT_CHUNK),
      );
      assert.ok(
        embedded.calls.every((c) => c.loopRanBefore),
        'the event loop ran between the chunks',
      );
      const rest = await memory.deliverOnce();
      assert.equal(rest.claimed, 1_500 - DEFAULT_RELAY_BATCH_SIZE - DEFAULT_EMBEDDED_RELAY_BATCH_SIZE);
      assert.equal(await memory.flush(), 0);
      assert.equal(await memory.count(tenant, 'task_embeddings'), 1_500);
      const hits = await memory.search(tenant, 'task_embeddings', { vector: vector(1_499), limit: 3 });
      assert.ok(hits.length > 0);
      await memory.close();
    } finally {
      await t.drop();
    }
  });
});
