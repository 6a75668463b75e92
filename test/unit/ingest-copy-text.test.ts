/** COPY text-format encoding of single fields (src/ingest/sql/copy-text.ts); the round trip through PostgreSQL is in test/integration/ingest-copy-writer.test.ts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyField } from '../../src/ingest/sql/copy-text.js';

test('NULL, booleans and numbers have their text-format spelling', () => {
  assert.equal(copyField(null), '\\N');
  assert.equal(copyField(undefined), '\\N');
  assert.equal(copyField(true), 't');
  assert.equal(copyField(false), 'f');
  assert.equal(copyField(42), '42');
  assert.equal(copyField(-1.5), '-1.5');
  assert.equal(copyField(1e-7), '1e-7');
});

test('backslash, tab, newline and carriage return are escaped; nothing else is', () => {
  assert.equal(copyField('plain text, "quoted", ünï €'), 'plain text, "quoted", ünï €');
  assert.equal(copyField('a\\b'), 'a\\\\b');
  assert.equal(copyField('\\N'), '\\\\N');
  assert.equal(copyField('x\ty\nz\r'), 'x\\ty\\nz\\r');
  assert.equal(copyField(''), '');
});
