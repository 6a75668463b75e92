import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseError, ShannonError } from '../../src/errors/errors.js';
import {
  classifyError,
  classifySqlState,
  isInfrastructureFailure,
  isTransient,
  toDatabaseError,
  violatedColumn,
} from '../../src/postgres/sqlstate.js';
import { toHttpError } from '../../src/server/http-errors.js';

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

  it('gives every transient failure a 503 code, whether or not it carries a SQLSTATE', () => {
    const cases: Array<[string, string, number]> = [
      ['57P01', 'DB_UNAVAILABLE', 503], // connection terminated by an administrator
      ['57P03', 'DB_UNAVAILABLE', 503], // the server is starting up
      ['40P01', 'DB_UNAVAILABLE', 503], // deadlock: the retry may succeed
      ['53300', 'DB_UNAVAILABLE', 503], // too many connections
      ['57014', 'DB_TIMEOUT', 503], // statement_timeout
      ['28P01', 'DB_UNAVAILABLE', 503], // refused credentials: not the client's fault, not a bug
      ['3D000', 'DB_UNAVAILABLE', 503],
      ['XX000', 'DB_QUERY_FAILED', 500], // the server's own bug
      ['EPIPE', 'DB_UNAVAILABLE', 503], // an errno code, not a SQLSTATE
    ];
    for (const [code, expected, status] of cases) {
      const wrapped = toDatabaseError(Object.assign(new Error(code), { code }), 'auth.authenticate');
      assert.equal(wrapped.code, expected, code);
      const answer = toHttpError(wrapped);
      assert.equal(answer.status, status, code);
      if (status === 503) assert.equal(answer.retryAfterSeconds, 1, code);
    }
  });

  it('answers an unwrapped driver error by its classification, not 500', () => {
    const raw = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    const answer = toHttpError(raw);
    assert.equal(answer.status, 503);
    assert.equal(answer.body.error.code, 'DB_UNAVAILABLE');
    assert.equal(toHttpError(Object.assign(new Error('bad'), { code: '22P02' })).status, 400);
    assert.equal(toHttpError(new Error('a bug')).status, 500);
  });

  it('names the column of a foreign key or NOT NULL violation, leaving the tenant out of composite keys', () => {
    const fk = (detail: string) =>
      Object.assign(new Error('insert or update violates foreign key constraint'), { code: '23503', detail });
    const user = fk('Key (tenant_id, user_id)=(a, b) is not present in table "users".');
    assert.equal(violatedColumn(user), 'user_id');
    assert.equal(violatedColumn(fk('Key (tenant_id)=(a) is not present in table "tenants".')), 'tenant_id');
    assert.equal(
      violatedColumn(Object.assign(new Error('null'), { code: '23502', column: 'query' })),
      'query',
    );
    assert.equal(
      violatedColumn(Object.assign(new Error('dup'), { code: '23505', detail: 'Key (id)=(1)' })),
      undefined,
    );
    const wrapped = toDatabaseError(user, 'ingest.token_usage');
    assert.equal(wrapped.field, 'user_id');
    assert.equal(violatedColumn(wrapped), 'user_id');
    const answer = toHttpError(wrapped);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.field, 'user_id');
  });
});
