import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderErrorDocs } from '../../src/errors/error-docs.js';
import {
  ERROR_CODES,
  LimitExceededError,
  ShannonError,
  toShannonError,
  ValidationError,
} from '../../src/errors/errors.js';

describe('error catalogue', () => {
  it('docs/errors.md documents every code (regenerate with scripts/update-error-docs.ts)', () => {
    const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    assert.equal(docs, renderErrorDocs());
    for (const code of Object.keys(ERROR_CODES)) assert.ok(docs.includes(`\`${code}\``), code);
  });

  it('client mistakes map to 4xx, never 5xx', () => {
    for (const code of [
      'VALIDATION_FAILED',
      'PAYLOAD_TOO_LARGE',
      'NOT_FOUND',
      'UNAUTHENTICATED',
      'RATE_LIMITED',
    ] as const) {
      const status = ERROR_CODES[code].status;
      assert.ok(status >= 400 && status < 500, `${code} → ${status}`);
    }
  });

  it('serialises code, message and field, and keeps the cause', () => {
    const cause = new Error('inner');
    const error = new ValidationError('records[3].status', 'must be one of RUNNING, COMPLETED', { cause });
    assert.deepEqual(error.toJSON(), {
      code: 'VALIDATION_FAILED',
      message: 'must be one of RUNNING, COMPLETED',
      field: 'records[3].status',
    });
    assert.equal(error.cause, cause);
    assert.equal(error.status, 400);
    const limit = new LimitExceededError('records', 1000, 1001);
    assert.equal(limit.status, 413);
    assert.equal(limit.field, 'records');
  });

  it('wraps foreign errors as INTERNAL with the original as cause', () => {
    const foreign = new TypeError('x is undefined');
    const wrapped = toShannonError(foreign);
    assert.ok(wrapped instanceof ShannonError);
    assert.equal(wrapped.code, 'INTERNAL');
    assert.equal(wrapped.cause, foreign);
  });
});
