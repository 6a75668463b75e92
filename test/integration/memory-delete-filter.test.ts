/**
 * Delete by filter, property-tested: random filters over the whole filter language (must / should /
 * must_not, match value / any / except, range, is_empty, has_id, nesting, empty clauses) are sent
 * to POST /v1/memory/cases/points/delete by tenant A, each over a fresh set of A's points while
 * tenant B's points (same payload shapes, ids that A's has_id may name) sit in the same collection.
 * Pass: a filter without any leaf condition is refused with 400 naming `filter`; otherwise exactly
 * the points an independent evaluator in this file selects are deleted, and B loses nothing.
 * The index backend is the Qdrant stand-in: deletes are decided in PostgreSQL, and the embedded
 * index's native remove() can hang under this add/delete churn (see docs/security.md, Tests).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { QdrantContractServer } from '../helpers/qdrant-contract-server.js';
import { type ServerHarness, startServerHarness, TEST_DIMENSION } from './server-harness.js';

const RUNS = 200;
const POINTS_PER_RUN = 5;
const COLLECTION = 'cases';
const COLORS = ['red', 'green', 'blue'] as const;
const KEYS = ['color', 'n', 'tags', 'flag', 'meta.level'] as const;

type Payload = Record<string, unknown>;
/** A filter as generated: has_id holds indices into the ids known when the filter is applied. */
type Gen = { must?: GenCondition[]; should?: GenCondition[]; must_not?: GenCondition[] };
type GenCondition = Record<string, unknown> | Gen;

const payloadArb: fc.Arbitrary<Payload> = fc.record(
  {
    color: fc.oneof(fc.constantFrom(...COLORS), fc.constant(null)),
    n: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(null)),
    tags: fc.array(fc.constantFrom(...COLORS), { maxLength: 3 }),
    flag: fc.boolean(),
    meta: fc.record({ level: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const scalar = fc.oneof(fc.constantFrom(...COLORS), fc.integer({ min: 0, max: 5 }), fc.boolean());
const list = fc.oneof(
  fc.array(fc.constantFrom(...COLORS), { minLength: 1, maxLength: 3 }),
  fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }),
);
const key = fc.constantFrom(...KEYS);
const leaf: fc.Arbitrary<GenCondition> = fc.oneof(
  fc.record({ key, match: fc.record({ value: scalar }) }),
  fc.record({ key, match: fc.record({ any: list }) }),
  fc.record({ key, match: fc.record({ except: list }) }),
  fc.record({
    key,
    range: fc
      .record(
        {
          gt: fc.integer({ min: -1, max: 5 }),
          gte: fc.integer({ min: -1, max: 5 }),
          lt: fc.integer({ min: 0, max: 6 }),
          lte: fc.integer({ min: 0, max: 6 }),
        },
        { requiredKeys: [] },
      )
      .filter((r) => Object.keys(r).length > 0),
  }),
  fc.record({ is_empty: fc.record({ key }) }),
  fc.record({ has_id: fc.array(fc.nat(), { maxLength: 3 }) }),
);
const clauses = (condition: fc.Arbitrary<GenCondition>) =>
  fc.record(
    {
      must: fc.array(condition, { maxLength: 2 }),
      should: fc.array(condition, { maxLength: 2 }),
      must_not: fc.array(condition, { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );
/**
 * Top level: any clauses, `{}` included. Nested: one level of filters made of leaves, each naming at
 * least one clause (the product reads a condition without must/should/must_not as a field
 * condition, so a nested `{}` is refused as a malformed key, not an empty filter). One level keeps
 * the tree under the 64-condition limit (at most 6 + 6 × 6).
 */
const nested = clauses(leaf).filter((f) => Object.keys(f).length > 0);
const filterArb: fc.Arbitrary<Gen> = clauses(
  fc.oneof({ arbitrary: leaf, weight: 3 }, { arbitrary: nested as fc.Arbitrary<GenCondition>, weight: 1 }),
);

const isFilter = (c: GenCondition): c is Gen => 'must' in c || 'should' in c || 'must_not' in c;

/** The filter as sent: has_id indices resolved to ids of A, of B, or absent. */
function resolve(filter: Gen, ids: readonly string[]): Gen {
  const out: Gen = {};
  for (const clause of ['must', 'should', 'must_not'] as const) {
    const list = filter[clause];
    if (list === undefined) continue;
    out[clause] = list.map((c) => {
      if (isFilter(c)) return resolve(c, ids);
      if ('has_id' in c) return { has_id: (c['has_id'] as number[]).map((i) => ids[i % ids.length]!) };
      return c;
    });
  }
  return out;
}

function leaves(filter: Gen): number {
  let n = 0;
  for (const clause of ['must', 'should', 'must_not'] as const) {
    for (const c of filter[clause] ?? []) n += isFilter(c) ? leaves(c) : 1;
  }
  return n;
}

/** Values at a dotted path, arrays flattened, missing and null left out (Qdrant's reading). */
function valuesAt(payload: Payload, path: string): unknown[] {
  let current: unknown[] = [payload];
  for (const part of path.split('.')) {
    current = current.flatMap((v) =>
      typeof v === 'object' && v !== null && !Array.isArray(v) ? [(v as Payload)[part]] : [],
    );
    current = current.flatMap((v) => (Array.isArray(v) ? v : [v]));
  }
  return current.filter((v) => v !== null && v !== undefined);
}

function holds(c: GenCondition, id: string, payload: Payload): boolean {
  if (isFilter(c)) return selects(c, id, payload);
  if ('has_id' in c) return (c['has_id'] as string[]).includes(id);
  if ('is_empty' in c) return valuesAt(payload, (c['is_empty'] as { key: string }).key).length === 0;
  const values = valuesAt(payload, c['key'] as string);
  if ('range' in c) {
    const r = c['range'] as { gt?: number; gte?: number; lt?: number; lte?: number };
    return values.some(
      (v) =>
        typeof v === 'number' &&
        (r.gt === undefined || v > r.gt) &&
        (r.gte === undefined || v >= r.gte) &&
        (r.lt === undefined || v < r.lt) &&
        (r.lte === undefined || v <= r.lte),
    );
  }
  const m = c['match'] as { value?: unknown; any?: unknown[]; except?: unknown[] };
  if ('value' in m) return values.some((v) => v === m.value);
  if (m.any !== undefined) return values.some((v) => m.any!.includes(v));
  return values.some((v) => !m.except!.includes(v));
}

/** Reference evaluation: all of must, none of must_not, at least one of a non-empty should. */
function selects(filter: Gen, id: string, payload: Payload): boolean {
  if (!(filter.must ?? []).every((c) => holds(c, id, payload))) return false;
  if ((filter.must_not ?? []).some((c) => holds(c, id, payload))) return false;
  const should = filter.should ?? [];
  return should.length === 0 || should.some((c) => holds(c, id, payload));
}

describe('delete by filter over random filters', () => {
  let h: ServerHarness;
  let qdrant: QdrantContractServer;
  let admin: pg.Client;
  let a: { tenantId: string; key: string };
  let b: { tenantId: string; key: string };
  const vector = Array.from({ length: TEST_DIMENSION }, (_, i) => (i + 1) / TEST_DIMENSION);
  before(async () => {
    qdrant = await new QdrantContractServer('v1.15.x').start();
    h = await startServerHarness({ env: { QDRANT_URL: qdrant.url } });
    a = await h.tenantWithKey();
    b = await h.tenantWithKey();
    admin = new pg.Client({ connectionString: h.t.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await h?.close();
    await qdrant?.stop();
  });

  const pointsOf = async (tenantId: string) =>
    (
      await admin.query<{ id: string; payload: Payload }>(
        `SELECT id::text AS id, payload FROM public.memory_points WHERE tenant_id = $1 ORDER BY id`,
        [tenantId],
      )
    ).rows;

  it(`${RUNS} random filters: empty ones refused, exactly the selected points of A deleted, none of B`, async () => {
    const bPayloads = fc.sample(payloadArb, { numRuns: POINTS_PER_RUN, seed: 7 });
    const bIds = (
      await h.memory.upsert(
        b.tenantId,
        COLLECTION,
        bPayloads.map((payload, i) => ({ key: [`b-${i}`], vector, payload })),
      )
    ).ids;
    const bBefore = JSON.stringify(await pointsOf(b.tenantId));
    const tally = { refused: 0, deleting: 0, deleted: 0, none: 0 };
    let run = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.array(payloadArb, { minLength: POINTS_PER_RUN, maxLength: POINTS_PER_RUN }),
        filterArb,
        async (payloads, generated) => {
          run += 1;
          const { ids: aIds } = await h.memory.upsert(
            a.tenantId,
            COLLECTION,
            payloads.map((payload, i) => ({ key: [`a-${run}-${i}-${randomUUID()}`], vector, payload })),
          );
          try {
            const stored = await pointsOf(a.tenantId);
            assert.equal(stored.length, POINTS_PER_RUN);
            const filter = resolve(generated, [...aIds, ...bIds, randomUUID()]);
            const res = await h.app.inject({
              method: 'POST',
              url: `/v1/memory/${COLLECTION}/points/delete`,
              headers: { authorization: `Bearer ${a.key}` },
              payload: { filter },
            });
            if (leaves(filter) === 0) {
              tally.refused += 1;
              assert.equal(res.statusCode, 400, `${JSON.stringify(filter)}: ${res.body}`);
              assert.equal(res.json().error.field, 'filter', res.body);
              assert.equal((await pointsOf(a.tenantId)).length, POINTS_PER_RUN);
            } else {
              assert.equal(res.statusCode, 200, `${JSON.stringify(filter)}: ${res.body}`);
              const expected = stored.filter((p) => selects(filter, p.id, p.payload)).map((p) => p.id);
              const remaining = new Set((await pointsOf(a.tenantId)).map((p) => p.id));
              const gone = stored.map((p) => p.id).filter((id) => !remaining.has(id));
              assert.deepEqual(gone.sort(), expected.sort(), JSON.stringify({ filter, stored }));
              assert.equal(res.json().deleted, expected.length);
              tally.deleting += 1;
              tally.deleted += expected.length;
              if (expected.length === 0) tally.none += 1;
            }
            assert.equal(JSON.stringify(await pointsOf(b.tenantId)), bBefore, 'a point of B changed');
          } finally {
            await h.memory.delete(a.tenantId, COLLECTION, aIds);
          }
        },
      ),
      { numRuns: RUNS },
    );
    console.log(
      `delete filters: ${run} runs; ${tally.refused} without a condition refused, ${tally.deleting} applied ` +
        `(${tally.deleted} points deleted, ${tally.none} selecting nothing); B's ${bIds.length} points intact`,
    );
    // The property must have exercised both outcomes to mean anything.
    assert.ok(tally.refused > 0 && tally.deleting > 0 && tally.deleted > 0, JSON.stringify(tally));
  });
});
