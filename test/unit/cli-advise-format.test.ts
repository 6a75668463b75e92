import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAdvice, formatCostChange } from '../../src/cli/commands/advise.js';

describe('advise indexes output', () => {
  it('shows the cost drop with one decimal, never 0% for a real drop', () => {
    assert.equal(formatCostChange(1000, 5), '99.5% lower');
    assert.equal(formatCostChange(1000, 500), '50% lower');
    assert.equal(formatCostChange(3, 2), '33.3% lower');
    assert.equal(formatCostChange(100_000, 1), '>99.9% lower');
    assert.equal(formatCostChange(100, 0), '100% lower');
    assert.equal(formatCostChange(100_000, 99_999), '<0.1% lower');
    assert.equal(formatCostChange(100, 100), 'unchanged');
    assert.equal(formatCostChange(100, 150), '50% higher');
    assert.equal(formatCostChange(0, 10), 'n/a');
  });

  it('prints the drop of each helped statement', () => {
    const text = formatAdvice({
      hypopgVersion: '1.4.1',
      examined: 1,
      skipped: [],
      suggestions: [
        {
          table: 'public.tasks',
          columns: ['tenant_id'],
          createStatement: 'CREATE INDEX ON public.tasks (tenant_id)',
          writeHeavy: false,
          writeOverhead: 0.1,
          readsPerWrite: 12,
          statements: [
            {
              origin: 'pg_stat_statements',
              queryid: '1',
              query: 'SELECT * FROM tasks WHERE tenant_id = $1',
              calls: 40,
              costBefore: 1000,
              costAfter: 5,
              ratio: 0.005,
            },
          ],
        },
      ],
    });
    assert.match(text, /cost 1000 -> 5 \(99\.5% lower\)/);
    assert.doesNotMatch(text, /\(0%\)/);
  });
});
