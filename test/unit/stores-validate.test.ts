/** Timestamps given to the stores and query routes: real calendar times only, never rolled over. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { optionalDate } from '../../src/validation/checks.js';

test('optionalDate accepts ISO dates and zoned date-times, refuses days that do not exist', () => {
  assert.equal(optionalDate('from', '2026-08-01')?.toISOString(), '2026-08-01T00:00:00.000Z');
  assert.equal(optionalDate('from', '2026-08-01T10:00:00+02:00')?.toISOString(), '2026-08-01T08:00:00.000Z');
  assert.equal(optionalDate('from', '2024-02-29T00:00:00Z')?.toISOString(), '2024-02-29T00:00:00.000Z');
  assert.equal(optionalDate('from', undefined), null);
  const d = new Date();
  assert.equal(optionalDate('from', d), d);
  for (const bad of [
    '2026-02-30T00:00:00Z',
    '2026-02-30',
    '2025-02-29',
    '2026-06-31T00:00:00Z',
    'yesterday',
  ]) {
    assert.throws(
      () => optionalDate('startedAt', bad),
      { code: 'VALIDATION_FAILED', field: 'startedAt' },
      bad,
    );
  }
});
