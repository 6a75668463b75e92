/**
 * deploy/grafana/shannon-data.json is the output of src/devtools/grafana/grafana-dashboard.ts
 * (regenerate with `npx tsx scripts/update-grafana-dashboard.ts`), and has the operator
 * dashboard's panels.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { grafanaDashboard, renderGrafanaDashboard } from '../../src/devtools/grafana/grafana-dashboard.js';

const FILE = join(import.meta.dirname, '../../deploy/grafana/shannon-data.json');

interface Panel {
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string }[];
}

describe('Grafana dashboard', () => {
  it('is committed as generated', () => {
    assert.equal(
      readFileSync(FILE, 'utf8'),
      renderGrafanaDashboard(),
      'run npx tsx scripts/update-grafana-dashboard.ts',
    );
  });

  it('has the operator dashboard’s panels, each with a query, on a 24-column grid', () => {
    const panels = grafanaDashboard()['panels'] as Panel[];
    const exprs = panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const metric of [
      'shannon_ingest_records_total',
      'shannon_ingest_queue_records',
      'shannon_ingest_queue_oldest_age_seconds',
      'shannon_ingest_spool_bytes',
      'shannon_db_pool_connections',
      'shannon_db_pool_max_connections',
      'shannon_breaker_state',
      'shannon_http_request_duration_seconds_count',
      'shannon_db_query_duration_seconds_bucket',
      'shannon_memory_search_duration_seconds_bucket',
      'shannon_memory_outbox_lag_seconds',
      'shannon_db_replica_lag_bytes',
    ]) {
      assert.ok(exprs.includes(metric), `no panel queries ${metric}`);
    }
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
    for (const p of panels) {
      assert.ok(p.targets.length > 0, `${p.title} has no query`);
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} is off the grid`);
      for (const t of p.targets)
        assert.match(t.expr, /instance=~"\$instance"/, `${p.title} ignores $instance`);
    }
  });
});
