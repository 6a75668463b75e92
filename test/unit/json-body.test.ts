/** The body inspection names the offending field exactly, whatever the nesting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkJsonCharset, inspectJson, parseJsonBody } from '../../src/server/json-body.js';

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

test('a lone surrogate is refused with its field, a paired one is kept', () => {
  assert.throws(() => inspectJson({ records: [{ message: 'half \ud800 a pair' }] }, 32), {
    field: 'records[0].message',
    message: /valid Unicode/,
  });
  assert.throws(() => parseJsonBody('{"records":[{"m":"\\udc00"}]}', 32), { field: 'records[0].m' });
  assert.throws(() => parseJsonBody('{"\\ud800":1}', 32), { code: 'VALIDATION_FAILED' });
  assert.doesNotThrow(() => parseJsonBody('{"m":"\\ud83d\\ude00"}', 32));
});

test('a JSON body declared in another charset than UTF-8 is refused with 415', () => {
  assert.doesNotThrow(() => checkJsonCharset('application/json'));
  assert.doesNotThrow(() => checkJsonCharset('application/json; charset=utf-8'));
  assert.doesNotThrow(() => checkJsonCharset('application/json; charset="UTF-8"'));
  assert.throws(() => checkJsonCharset('application/json; charset=utf-16'), {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    field: 'content-type',
  });
  assert.throws(() => checkJsonCharset('application/json;charset=ISO-8859-1'), {
    code: 'UNSUPPORTED_MEDIA_TYPE',
  });
});
