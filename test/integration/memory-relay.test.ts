/**
 * The outbox relay's throughput guards (src/memory/outbox-relay.ts). Each pass loads the current
 * state of the points its outbox rows name (POINTS_BY_IDS); that lookup must cost the same per
 * point however many points the tenant already has, or delivery slows down as a tenant grows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Memory } from '../../src/memory/memory.js';
import { POINTS_BY_IDS } from '../../src/memory/memory-queries.js';
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
});
