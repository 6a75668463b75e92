/**
 * The alert rules (deploy/prometheus/alerts.yml): promtool accepts them, their unit tests
 * (alerts.test.yml) pass, and every alert has a test that expects it to fire and a runbook in
 * docs/operations.md under the heading its `runbook` annotation names.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { promtool } from '../helpers/prometheus.js';

const ROOT = join(import.meta.dirname, '../..');
const RULES = join(ROOT, 'deploy/prometheus/alerts.yml');
const RULE_TESTS = join(ROOT, 'deploy/prometheus/alerts.test.yml');

interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

/** GitHub's anchor of a Markdown heading (lower case, spaces to dashes, punctuation dropped). */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

describe('alert rules', () => {
  it('pass promtool check rules', () => {
    const result = promtool(['check', 'rules', RULES]);
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, new RegExp(`SUCCESS: ${alertRules().length} rules found`));
  });

  it('pass their promtool unit tests', () => {
    const result = promtool(['test', 'rules', RULE_TESTS]);
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });

  it('each have a unit test where they fire, a severity and a runbook in docs/operations.md', () => {
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    const fired = new Set(
      tests.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((a) => (a.exp_alerts ?? []).length > 0).map((a) => a.alertname),
      ),
    );
    const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Alerts and runbooks'));
    const anchors = new Set(
      [...section.matchAll(/^### (.+)$/gm)].map((m) => `docs/operations.md#${anchorOf(m[1] ?? '')}`),
    );
    const rules = alertRules();
    assert.ok(rules.length >= 10, `alert rules found: ${rules.length}`);
    for (const rule of rules) {
      assert.ok(fired.has(rule.alert), `${rule.alert} has no unit test where it fires`);
      assert.match(rule.labels?.['severity'] ?? '', /^(warning|critical)$/, `${rule.alert} severity`);
      const runbook = rule.annotations?.['runbook'] ?? '';
      assert.ok(anchors.has(runbook), `${rule.alert}: runbook ${runbook} is not a heading of the section`);
    }
  });
});
