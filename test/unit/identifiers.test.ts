/**
 * S5, pure generators: every name or key the product builds from a tenant id or another input is
 * allow-listed, short enough not to be truncated by PostgreSQL (63 bytes), and injective — two
 * different inputs never give the same name. Each generator gets a fast-check property test, and
 * an exhaustive run over 1,000,000 inputs of its domain: uuid v4 tenant ids for the generators
 * that take a tenant id (point ids, session cache keys, idempotency keys), consecutive months for
 * the monthly partition names, calls for the EXPLAIN prepared-statement names.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deriveKey } from '../../src/ingest/validate-record.js';
import { COLLECTION_NAMES } from '../../src/memory/collections.js';
import { pointId } from '../../src/memory/point-id.js';
import { preparePoints } from '../../src/memory/point-input.js';
import { preparedStatementName } from '../../src/ops/explain.js';
import { planPartitions } from '../../src/ops/partitions.js';
import type { Queryable } from '../../src/postgres/queryable.js';
import { sessionKey } from '../../src/sessions/session-entry.js';

/** Size of every exhaustive run. */
const EXHAUSTIVE = 1_000_000;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MAX_IDENTIFIER_BYTES = 63;
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Asserts `generate` gives 1,000,000 different values for 1,000,000 fresh uuid v4 tenant ids. */
function exhaustiveOverTenants(label: string, generate: (tenantId: string) => string, shape: RegExp): void {
  const seen = new Set<string>();
  for (let i = 0; i < EXHAUSTIVE; i++) {
    const value = generate(randomUUID());
    if (!shape.test(value)) assert.fail(`${label}: ${value} does not match ${shape}`);
    seen.add(value);
  }
  assert.equal(seen.size, EXHAUSTIVE, `${label}: ${EXHAUSTIVE - seen.size} collisions`);
  console.log(`${label}: ${seen.size} distinct values for ${EXHAUSTIVE} tenant ids`);
}

const tenantIds = fc.uuid({ version: 4 });

describe('generators taking a tenant id', () => {
  it('point ids: lowercase UUIDs, injective over (collection, tenant, natural key)', () => {
    const input = fc.tuple(
      fc.constantFrom(...COLLECTION_NAMES),
      tenantIds,
      fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 3 }),
    );
    fc.assert(
      fc.property(input, input, ([c1, t1, k1], [c2, t2, k2]) => {
        const a = pointId(c1, t1, ...k1);
        assert.match(a, LOWER_UUID);
        // Key parts are stringified and tenant ids lowercased, so 1 and '1' are the same key by design.
        const k1s = k1.map(String);
        const k2s = k2.map(String);
        const sameInput =
          c1 === c2 &&
          t1.toLowerCase() === t2.toLowerCase() &&
          k1s.length === k2s.length &&
          k1s.every((p, i) => p === k2s[i]);
        if (!sameInput) assert.notEqual(a, pointId(c2, t2, ...k2));
      }),
      { numRuns: 2_000 },
    );
  });

  it('point ids: a natural key part holding the NUL separator is refused, so keys cannot run together', () => {
    const tenant = randomUUID();
    // The encoding joins parts with NUL: these two keys would derive one id.
    assert.equal(pointId('cases', tenant, 'a', 'b'), pointId('cases', tenant, 'a\u0000b'));
    assert.throws(() => preparePoints('cases', tenant, [{ key: ['a\u0000b'], vector: [1, 0] }], 2), {
      code: 'VALIDATION_FAILED',
      field: 'points[0].key[0]',
    });
    assert.equal(
      preparePoints('cases', tenant, [{ key: ['a', 'b'], vector: [1, 0] }], 2)[0]!.id,
      pointId('cases', tenant, 'a', 'b'),
    );
  });

  it(`point ids: ${EXHAUSTIVE} tenant ids with the same key give ${EXHAUSTIVE} different ids`, () => {
    exhaustiveOverTenants('pointId', (t) => pointId('task_embeddings', t, 'qa-1', 0), LOWER_UUID);
  });

  it('session cache keys: injective over (tenant, session id) for any session id', () => {
    fc.assert(
      fc.property(tenantIds, fc.string(), tenantIds, fc.string(), (t1, s1, t2, s2) => {
        if (t1 === t2 && s1 === s2) return;
        assert.notEqual(sessionKey(t1, s1), sessionKey(t2, s2));
      }),
      { numRuns: 5_000 },
    );
    // A session id holding the separator cannot reach into another tenant's key space: the tenant
    // part is a fixed-length UUID.
    const t = randomUUID();
    assert.notEqual(sessionKey(t, `x:${randomUUID()}`), sessionKey(randomUUID(), 'x'));
  });

  it(`session cache keys: ${EXHAUSTIVE} tenant ids with one session id give ${EXHAUSTIVE} keys`, () => {
    exhaustiveOverTenants('sessionKey', (t) => sessionKey(t, 'session-1'), /^[0-9a-f-]{36}:session-1$/);
  });

  it('idempotency keys: injective over (tenant, workflow id)', () => {
    fc.assert(
      fc.property(tenantIds, fc.string(), tenantIds, fc.string(), (t1, w1, t2, w2) => {
        if (t1 === t2 && w1 === w2) return;
        assert.notEqual(
          deriveKey('task_execution', t1, { workflow_id: w1 }),
          deriveKey('task_execution', t2, { workflow_id: w2 }),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it(`idempotency keys: ${EXHAUSTIVE} tenant ids with one workflow id give ${EXHAUSTIVE} keys`, () => {
    exhaustiveOverTenants(
      'deriveKey',
      (t) => deriveKey('task_execution', t, { workflow_id: 'wf-1' }),
      /^[0-9a-f]{64}$/,
    );
  });
});

/** The range-partitioned tables of the schema, as the checked-in dump lists them. */
function partitionedTables(): { schema: string; name: string; column: string }[] {
  const dump = readFileSync(new URL('../../src/schema/schema.dump.sql', import.meta.url), 'utf8');
  const out = [...dump.matchAll(/^(\w+)\.(\w+) PARTITIONED BY RANGE \((\w+)\)/gm)].map((m) => ({
    schema: m[1]!,
    name: m[2]!,
    column: m[3]!,
  }));
  assert.ok(out.length >= 5, `only ${out.length} partitioned tables found in the schema dump`);
  return out;
}

/**
 * A catalog with the given tables, none holding a partition yet: `planPartitions` then plans one
 * partition per month from `now` on, which is the partition-name generator applied to each month.
 */
function emptyCatalog(tables: { schema: string; name: string; column: string }[]): Queryable {
  return {
    async query<Row>(text: string) {
      assert.match(
        text,
        /FROM pg_partitioned_table/,
        'the planner asked for something other than the catalog',
      );
      const rows = tables.map((t) => ({
        parent: `${t.schema}.${t.name}`,
        schema: t.schema,
        parent_name: t.name,
        key_definition: `RANGE (${t.column})`,
        strategy: 'r',
        time_key: true,
        key_column: t.column,
        partition: null,
        partition_name: null,
        bound: null,
      }));
      return { rows: rows as Row[], rowCount: rows.length };
    },
  } as Queryable;
}

/** The unquoted name part of `schema.name` as the planner writes it (quoted only when it must be). */
function partitionPart(qualified: string, schema: string): string {
  assert.ok(qualified.startsWith(`${schema}.`), qualified);
  return qualified.slice(schema.length + 1);
}

describe('monthly partition names', () => {
  const tables = partitionedTables();

  it('are allow-listed, at most 63 bytes and distinct across tables and months (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.date({
          min: new Date('1970-01-01T00:00:00Z'),
          max: new Date('9999-11-30T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 24 }),
        async (now, ahead) => {
          const actions = await planPartitions(emptyCatalog(tables), { now, monthsAhead: ahead });
          assert.equal(actions.length, tables.length * (ahead + 1));
          const names = new Set<string>();
          for (const a of actions) {
            const schema = a.table.split('.')[0]!;
            const name = partitionPart(a.partition, schema);
            assert.match(name, IDENTIFIER, a.partition);
            assert.ok(Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES, a.partition);
            names.add(a.partition);
          }
          assert.equal(names.size, actions.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it(`are distinct over ${EXHAUSTIVE} consecutive months for the longest table name`, async () => {
    const longest = tables.reduce((a, b) => (Buffer.byteLength(b.name) > Buffer.byteLength(a.name) ? b : a));
    const seen = new Set<string>();
    const chunk = 100_000;
    let maxBytes = 0;
    for (let start = 0; start < EXHAUSTIVE; start += chunk) {
      const now = new Date(Date.UTC(1970, start, 1));
      const actions = await planPartitions(emptyCatalog([longest]), { now, monthsAhead: chunk - 1 });
      assert.equal(actions.length, chunk);
      for (const a of actions) {
        const name = partitionPart(a.partition, longest.schema);
        if (!IDENTIFIER.test(name)) assert.fail(`${a.partition} is not an unquoted identifier`);
        maxBytes = Math.max(maxBytes, Buffer.byteLength(name));
        seen.add(name);
      }
    }
    assert.equal(seen.size, EXHAUSTIVE);
    // The last month is in the year 85303: six-digit labels still fit.
    assert.ok(maxBytes <= MAX_IDENTIFIER_BYTES, `longest partition name ${maxBytes} bytes`);
    console.log(
      `partition names: ${seen.size} distinct over ${EXHAUSTIVE} months of ${longest.schema}.${longest.name}, longest ${maxBytes} bytes`,
    );
  });
});

describe('prepared-statement names of safe EXPLAIN', () => {
  it(`are allow-listed, at most 63 bytes and distinct over ${EXHAUSTIVE} calls`, () => {
    const seen = new Set<string>();
    for (let i = 0; i < EXHAUSTIVE; i++) {
      const name = preparedStatementName();
      if (!IDENTIFIER.test(name) || Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) assert.fail(name);
      seen.add(name);
    }
    assert.equal(seen.size, EXHAUSTIVE);
  });
});
