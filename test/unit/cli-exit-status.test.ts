import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, exitStatusOf } from '../../src/cli/cli-context.js';
import { ConfigError } from '../../src/config/config.js';
import { DatabaseError, ShannonError, ValidationError } from '../../src/errors/errors.js';

describe('CLI exit status of an error', () => {
  it('is 2 for configuration or usage, 3 for everything else', () => {
    assert.equal(exitStatusOf(new ConfigError('PORT', 'PORT must be an integer')), EXIT.CONFIG);
    assert.equal(exitStatusOf(new ValidationError('scopes', 'unknown scope')), EXIT.CONFIG);
    assert.equal(exitStatusOf(new ShannonError('UNSAFE_STATEMENT', 'one statement only')), EXIT.CONFIG);
    assert.equal(exitStatusOf(new DatabaseError('DB_UNAVAILABLE', 'down')), EXIT.FAILED);
    assert.equal(exitStatusOf(new ShannonError('CONFLICT', 'exists')), EXIT.FAILED);
    assert.equal(exitStatusOf(new Error('bug')), EXIT.FAILED);
  });
});
