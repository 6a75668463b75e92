import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PlanNode, summarizePlan } from '../../src/ops/plan-summary.js';

const node = (over: Partial<PlanNode>): PlanNode => ({
  'Node Type': 'Result',
  'Startup Cost': 0,
  'Total Cost': 1,
  'Plan Rows': 1,
  ...over,
});

describe('summarizePlan', () => {
  const plan = node({
    'Node Type': 'Sort',
    'Total Cost': 1000,
    'Sort Method': 'external merge',
    'Sort Space Type': 'Disk',
    'Sort Space Used': 4096,
    Plans: [
      node({
        'Node Type': 'Hash Join',
        'Total Cost': 900,
        'Hash Batches': 4,
        'Original Hash Batches': 1,
        Plans: [
          node({
            'Node Type': 'Seq Scan',
            'Relation Name': 'big',
            'Total Cost': 700,
            'Plan Rows': 10,
            'Actual Rows': 5000,
            'Actual Loops': 1,
            Filter: '(a = $1)',
          }),
          node({
            'Node Type': 'Index Scan',
            'Relation Name': 'small',
            'Index Name': 'small_pkey',
            'Total Cost': 50,
          }),
        ],
      }),
    ],
  });
  const s = summarizePlan(
    plan,
    new Map([
      ['big', 50_000],
      ['small', 10],
    ]),
    10_000,
  );

  it('finds sequential scans of large tables only', () => {
    assert.deepEqual(s.seqScansOfLargeTables, [
      { relation: 'big', tableRows: 50_000, planRows: 10, filter: '(a = $1)' },
    ]);
  });
  it('finds misestimates by factor', () => {
    assert.equal(s.misestimates.length, 1);
    assert.equal(s.misestimates[0]!.factor, 500);
  });
  it('finds sorts and hashes spilling to disk', () => {
    assert.equal(s.spills.length, 2);
    assert.match(s.spills[0]!.detail, /external merge used 4096 kB on disk/);
    assert.match(s.spills[1]!.detail, /4 batches/);
  });
  it('names the costliest node by exclusive cost and the indexes used', () => {
    assert.equal(s.costliestNode?.node, 'Seq Scan');
    assert.equal(s.costliestNode?.exclusiveCost, 700);
    assert.deepEqual(s.indexesUsed, ['small_pkey']);
  });
});
