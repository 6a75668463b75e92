/**
 * Every metric the alert rules (deploy/prometheus/alerts.yml) and the Grafana dashboard
 * (deploy/grafana/shannon-data.json) query exists in the service's registry (createMetrics with
 * the default process metrics, as `serve` builds it); a histogram's `_bucket`, `_sum` and `_count`
 * series count as their histogram.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observability/metrics.js';
import { promqlMetricNames } from '../helpers/promql-metric-names.js';

const ROOT = join(import.meta.dirname, '../..');
/** Series Prometheus writes itself for every target. */
const SCRAPE_SERIES = ['up'];

async function registryNames(): Promise<Set<string>> {
  const metrics = createMetrics({ defaultMetrics: true });
  const names = new Set(SCRAPE_SERIES);
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** [where, expression] of every query the dashboard makes. */
function dashboardQueries(): [string, string][] {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/shannon-data.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
    templating: { list: { name: string; definition?: string }[] };
  };
  const queries: [string, string][] = dashboard.panels.flatMap((p) =>
    p.targets.map((t): [string, string] => [`panel "${p.title}"`, t.expr]),
  );
  for (const v of dashboard.templating.list) {
    // label_values(metric, label): only the first argument is a metric.
    const metric = /^label_values\((\w+)\s*,/.exec(v.definition ?? '')?.[1];
    if (metric !== undefined) queries.push([`variable ${v.name}`, metric]);
  }
  return queries;
}

function ruleQueries(): [string, string][] {
  const doc = parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules.map((r): [string, string] => [`alert ${r.alert}`, r.expr]));
}

describe('metric names in the deployment files', () => {
  it('reads the metric names of a PromQL expression', () => {
    assert.deepEqual(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (pool, le) (rate(a_bucket{instance=~"$instance",x="y z"}[$__rate_interval])))' +
          ' / on (pool) group_left max(b) > 8 * 1e3 and c offset 5m unless d == bool 1',
      ),
      ['a_bucket', 'b', 'c', 'd'],
    );
  });

  for (const [file, queries] of [
    ['deploy/prometheus/alerts.yml', ruleQueries],
    ['deploy/grafana/shannon-data.json', dashboardQueries],
  ] as const) {
    it(`${file} queries only metrics the service exports`, async () => {
      const known = await registryNames();
      const found = queries();
      assert.ok(found.length >= 10, `queries found: ${found.length}`);
      const unknown: string[] = [];
      for (const [where, expr] of found) {
        const names = promqlMetricNames(expr);
        assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
        for (const name of names) if (!known.has(name)) unknown.push(`${where}: ${name}`);
      }
      assert.deepEqual(unknown, []);
    });
  }
});
