/** The body inspection names the offending field exactly, whatever the nesting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectJson, parseJsonBody } from '../../src/server/json-body.js';

test('a NUL in a nested string, array element or key is reported with its field path', () => {
  assert.throws(() => inspectJson({ records: [{ a: { b: 'x\u0000' } }] }, 32), { field: 'records[0].a.b' });
  assert.throws(() => inspectJson({ records: [1, 2, ['ok', 'no\u0000']] }, 32), { field: 'records[2][1]' });
  assert.throws(() => inspectJson({ records: [{ 'k\u0000': 1 }] }, 32), { field: 'records[0]' });
  assert.throws(() => inspectJson('top\u0000', 32), { field: 'body' });
  assert.throws(() => inspectJson([['\u0000']], 32), { field: '[0][0]' });
});

test('nesting beyond the limit names the container that is too deep', () => {
  const deep = { a: { b: { c: { d: 1 } } } };
  assert.doesNotThrow(() => inspectJson(deep, 4));
  assert.throws(() => inspectJson(deep, 3), { field: 'a.b.c', message: /deeper than 3/ });
  assert.doesNotThrow(() => parseJsonBody(JSON.stringify({ records: Array(100_000).fill(7) }), 32));
});
