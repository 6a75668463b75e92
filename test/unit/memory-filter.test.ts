import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ShannonError } from '../../src/errors/errors.js';
import { composeFilter, type Filter, parseFilter } from '../../src/memory/filter.js';
import { matchesFilter } from '../../src/memory/filter-evaluator.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const OTHER = '99999999-2222-4333-8444-555555555555';
const KEYS = [
  'session_id',
  'user_id',
  'agent_id',
  'timestamp',
  'meta.kind',
  'tenant_id',
  '_version',
  'tenant_id.x',
  '_x',
];
const RESERVED = new Set(['tenant_id', '_version', 'tenant_id.x', '_x']);

const key = fc.constantFrom(...KEYS);
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 5 }), fc.boolean());
const leaf = fc.oneof(
  fc.record({ key, match: fc.record({ value: scalar }) }),
  fc.record({ key, match: fc.record({ any: fc.array(fc.string({ maxLength: 4 }), { maxLength: 4 }) }) }),
  fc.record({
    key,
    match: fc.record({ except: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }) }),
  }),
  fc.record({ key, range: fc.record({ gte: fc.integer({ min: 0, max: 10 }) }) }),
  fc.record({ is_empty: fc.record({ key }) }),
  fc.record({ has_id: fc.constant([TENANT]) }),
);
const { filter: arbitraryFilter } = fc.letrec<{ filter: Record<string, unknown>; condition: unknown }>(
  (tie) => ({
    filter: fc.record(
      {
        must: fc.array(tie('condition'), { maxLength: 3 }),
        should: fc.array(tie('condition'), { maxLength: 3 }),
        must_not: fc.array(tie('condition'), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
    condition: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf, tie('filter')),
  }),
);

function referencesReserved(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(referencesReserved);
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  if (typeof record['key'] === 'string' && RESERVED.has(record['key'])) return true;
  return Object.values(record).some(referencesReserved);
}

describe('memory filter composition (property)', () => {
  it('never lacks the tenant condition and never accepts a reserved key (10,000 filters)', () => {
    let accepted = 0;
    let rejected = 0;
    let lacksTenant = 0;
    let acceptedReserved = 0;
    fc.assert(
      fc.property(
        arbitraryFilter,
        fc.dictionary(fc.constantFrom('session_id', 'user_id'), fc.string()),
        (raw, payload) => {
          let parsed: Filter;
          try {
            parsed = parseFilter(raw);
          } catch (error) {
            assert.ok(error instanceof ShannonError, 'only typed errors');
            rejected += 1;
            return;
          }
          accepted += 1;
          if (referencesReserved(raw)) acceptedReserved += 1;
          const composed = composeFilter(TENANT, parsed);
          const first = composed.must?.[0] as { key?: string; match?: { value?: string } } | undefined;
          if (first?.key !== 'tenant_id' || first.match?.value !== TENANT) lacksTenant += 1;
          // Whatever the caller wrote, another tenant's point never matches.
          assert.equal(
            matchesFilter(composed, { id: OTHER, payload: { ...payload, tenant_id: OTHER } }),
            false,
          );
        },
      ),
      { numRuns: 10_000, seed: 4242 },
    );
    assert.equal(lacksTenant, 0);
    assert.equal(acceptedReserved, 0);
    assert.ok(
      accepted > 1000 && rejected > 1000,
      `both paths exercised (accepted ${accepted}, rejected ${rejected})`,
    );
  });
});

describe('memory filter validation', () => {
  it('names the field of a bad condition', () => {
    assert.throws(
      () =>
        parseFilter({
          must: [
            { key: 'session_id', match: { value: 's' } },
            { key: 'tenant_id', match: { value: 'x' } },
          ],
        }),
      (e: ShannonError) => e.code === 'VALIDATION_FAILED' && e.field === 'filter.must[1].key',
    );
    assert.throws(() => parseFilter({ must: [{ key: 'a', match: { value: 1.5 } }] }), {
      field: 'filter.must[0].match.value',
    });
    assert.throws(() => parseFilter({ filter: [] }), { field: 'filter.filter' });
  });

  it('limits depth and size', () => {
    let deep: unknown = { must: [{ key: 'a', match: { value: 1 } }] };
    for (let i = 0; i < 5; i += 1) deep = { must: [deep] };
    assert.throws(() => parseFilter(deep), { code: 'PAYLOAD_TOO_LARGE' });
    const wide = { should: Array.from({ length: 100 }, () => ({ key: 'a', match: { value: 1 } })) };
    assert.throws(() => parseFilter(wide), { code: 'PAYLOAD_TOO_LARGE' });
  });

  it('rejects a non-UUID tenant', () => {
    assert.throws(() => composeFilter('acme', {}), { field: 'tenantId' });
  });
});

describe('memory filter evaluation (Qdrant semantics)', () => {
  const subject = {
    id: TENANT,
    payload: { session_id: 's1', tags: ['a', 'b'], n: 5, empty: [], nested: { kind: 'x' } },
  };
  const cases: Array<[unknown, boolean]> = [
    [{ must: [{ key: 'session_id', match: { value: 's1' } }] }, true],
    [{ must: [{ key: 'tags', match: { value: 'b' } }] }, true],
    [{ must: [{ key: 'tags', match: { any: ['z', 'a'] } }] }, true],
    [{ must: [{ key: 'session_id', match: { except: ['s1'] } }] }, false],
    [{ must: [{ key: 'session_id', match: { except: ['s2'] } }] }, true],
    [{ must: [{ key: 'n', range: { gt: 4, lte: 5 } }] }, true],
    [{ must: [{ key: 'n', range: { gt: 5 } }] }, false],
    [{ must: [{ is_empty: { key: 'empty' } }, { is_empty: { key: 'missing' } }] }, true],
    [{ must: [{ is_empty: { key: 'tags' } }] }, false],
    [{ must: [{ has_id: [TENANT] }] }, true],
    [{ must_not: [{ key: 'nested.kind', match: { value: 'x' } }] }, false],
    [
      {
        should: [
          { key: 'n', match: { value: 4 } },
          { key: 'n', match: { value: 5 } },
        ],
      },
      true,
    ],
    [{ should: [{ key: 'n', match: { value: 4 } }] }, false],
    [{ must: [{ should: [{ key: 'session_id', match: { value: 'nope' } }] }] }, false],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} → ${expected}`, () => {
      assert.equal(matchesFilter(parseFilter(raw), subject), expected);
    });
  }
});
