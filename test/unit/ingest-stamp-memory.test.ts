/** Stamped times remembered per tenant, kind and key; bounded, oldest forgotten first. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StampMemory } from '../../src/ingest/stamp-memory.js';

test('the first stamp of a record is returned again; other tenants and kinds have their own', () => {
  const m = new StampMemory();
  assert.equal(m.stamp('audit_log', 't1', 'k', 'T1'), 'T1');
  assert.equal(m.stamp('audit_log', 't1', 'k', 'T2'), 'T1');
  assert.equal(m.stamp('audit_log', 't2', 'k', 'T3'), 'T3');
  assert.equal(m.stamp('token_usage', 't1', 'k', 'T4'), 'T4');
});

test('bounded by entries: the oldest stamp is forgotten first', () => {
  const m = new StampMemory(3);
  for (const k of ['a', 'b', 'c', 'd']) m.stamp('audit_log', 't', k, `at-${k}`);
  assert.equal(m.size, 3);
  assert.equal(m.stamp('audit_log', 't', 'a', 'new'), 'new');
  assert.equal(m.stamp('audit_log', 't', 'd', 'new'), 'at-d');
});
