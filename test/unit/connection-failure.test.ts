import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseError } from '../../src/errors/errors.js';
import { connectionFailure, connectionTarget } from '../../src/postgres/connection-failure.js';
import { classifyError } from '../../src/postgres/sqlstate.js';

const pgError = (message: string, fields: Record<string, string>) =>
  Object.assign(new Error(message), fields);

describe('connection failures', () => {
  it('reads host, port, database and user from the URL, with PostgreSQL defaults', () => {
    assert.deepEqual(connectionTarget('postgres://app:pw@db.internal:6543/shannon'), {
      host: 'db.internal',
      port: '6543',
      database: 'shannon',
      user: 'app',
    });
    assert.deepEqual(connectionTarget('postgresql://app@[::1]/'), {
      host: '::1',
      port: '5432',
      database: 'app',
      user: 'app',
    });
  });

  it('names host, port and the setting; keeps the SQLSTATE, DETAIL and HINT the server sent', () => {
    const error = connectionFailure(
      pgError('no pg_hba.conf entry for host "10.0.0.9"', {
        code: '28000',
        detail: 'Client IP address resolved to "x", forward lookup not checked.',
        hint: 'Add an entry to pg_hba.conf.',
      }),
      { url: 'postgres://app:pw@db:5432/shannon', setting: 'DATABASE_URL', operation: 'migrate' },
    );
    assert.ok(error instanceof DatabaseError);
    assert.equal(error.code, 'DB_UNAVAILABLE');
    assert.equal(error.sqlstate, '28000');
    assert.equal(
      error.message,
      'cannot connect to PostgreSQL at db:5432 (database "shannon", user "app"): no pg_hba.conf entry for host "10.0.0.9" (SQLSTATE 28000); check DATABASE_URL\n' +
        'DETAIL:  Client IP address resolved to "x", forward lookup not checked.\n' +
        'HINT:  Add an entry to pg_hba.conf.',
    );
    assert.equal(error.details?.['operation'], 'migrate');
    assert.equal(classifyError(error), 'fatal', 'still classified by its SQLSTATE');
  });

  it('is DB_UNAVAILABLE for any failure to connect, transient for a socket error', () => {
    const refused = connectionFailure(
      pgError('connect ECONNREFUSED 10.0.0.1:5432', { code: 'ECONNREFUSED' }),
      {
        url: 'postgres://10.0.0.1/x',
        setting: 'DATABASE_URL',
        operation: 'query',
      },
    );
    assert.equal(refused.code, 'DB_UNAVAILABLE');
    assert.equal(classifyError(refused), 'transient');
    // A privilege refusal at connect time is not a bad statement: the database cannot serve us.
    const denied = connectionFailure(pgError('permission denied for database "x"', { code: '42501' }), {
      url: 'postgres://10.0.0.1/x',
      setting: 'DATABASE_URL',
      operation: 'query',
    });
    assert.equal(denied.code, 'DB_UNAVAILABLE');
    const ours = new DatabaseError('DB_TIMEOUT', 'query: timed out');
    assert.equal(connectionFailure(ours, { url: 'postgres://h/x', setting: 'S', operation: 'q' }), ours);
  });

  it('never prints the password, even when a driver message quotes it', () => {
    const error = connectionFailure(pgError('bad password "hunter2!" for user app', { code: '28P01' }), {
      url: 'postgres://app:hunter2%21@db/x',
      setting: 'DATABASE_URL',
      operation: 'query',
    });
    assert.ok(!error.message.includes('hunter2'), error.message);
    assert.ok(!JSON.stringify(error.toJSON()).includes('hunter2'));
  });
});
