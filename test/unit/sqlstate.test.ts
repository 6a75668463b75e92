import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseError, ShannonError } from '../../src/errors/errors.js';
import {
  classifyError,
  classifySqlState,
  isInfrastructureFailure,
  isTransient,
  toDatabaseError,
} from '../../src/postgres/sqlstate.js';

describe('SQLSTATE classification', () => {
  it('classifies by exact code before class prefix', () => {
    assert.equal(classifySqlState('40001'), 'conflict');
    assert.equal(classifySqlState('40P01'), 'transient');
    assert.equal(classifySqlState('23505'), 'conflict');
    assert.equal(classifySqlState('23502'), 'client'); // not_null_violation, via class 23
    assert.equal(classifySqlState('08006'), 'transient');
    assert.equal(classifySqlState('57P01'), 'transient');
    assert.equal(classifySqlState('42P01'), 'client');
    assert.equal(classifySqlState('XX000'), 'fatal');
    assert.equal(classifySqlState('ZZ999'), 'fatal');
  });

  it('treats socket failures as transient and caller errors as client errors', () => {
    assert.equal(classifyError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })), 'transient');
    assert.equal(classifyError(new Error('Connection terminated unexpectedly')), 'transient');
    assert.equal(classifyError(new Error('the caller threw')), 'client');
    assert.equal(classifyError(new DatabaseError('DB_TIMEOUT', 'slow')), 'transient');
    assert.equal(classifyError(new ShannonError('BREAKER_OPEN', 'open')), 'transient');
  });

  it('only infrastructure failures count against a breaker', () => {
    assert.equal(isInfrastructureFailure(Object.assign(new Error('dup'), { code: '23505' })), false);
    assert.equal(isInfrastructureFailure(Object.assign(new Error('syntax'), { code: '42601' })), false);
    assert.equal(isInfrastructureFailure(Object.assign(new Error('shutdown'), { code: '57P01' })), true);
    assert.equal(isInfrastructureFailure(Object.assign(new Error('io'), { code: '58030' })), true);
    assert.equal(isTransient(Object.assign(new Error('io'), { code: '58030' })), false);
  });

  it('wraps driver errors keeping SQLSTATE and a stable code', () => {
    const dup = toDatabaseError(Object.assign(new Error('duplicate key'), { code: '23505' }), 'tasks.insert');
    assert.ok(dup instanceof DatabaseError);
    assert.equal(dup.code, 'CONFLICT');
    assert.equal((dup as DatabaseError).sqlstate, '23505');
    const down = toDatabaseError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'x');
    assert.equal(down.code, 'DB_UNAVAILABLE');
  });
});
