/** Several PostgreSQL hosts in one URL (libpq's form): split, validated, shown without the password. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/config.js';
import { HostListError, hostLabel, splitHosts } from '../../src/postgres/hosts.js';

describe('splitHosts', () => {
  it('returns an ordinary URL as it is', () => {
    const url = 'postgres://app:pw@db:5432/shannon?sslmode=require';
    assert.deepEqual(splitHosts(url), [url]);
  });

  it('splits a host list into one URL per host, in order, keeping user, database and options', () => {
    assert.deepEqual(
      splitHosts(
        'postgresql://app:p%40ss@db1:5432,db2,[::1]:6432/shannon?target_session_attrs=read-write&sslmode=require',
      ),
      [
        'postgresql://app:p%40ss@db1:5432/shannon?sslmode=require',
        'postgresql://app:p%40ss@db2/shannon?sslmode=require',
        'postgresql://app:p%40ss@[::1]:6432/shannon?sslmode=require',
      ],
    );
    assert.deepEqual(hostLabel('postgres://u@db2/x'), 'db2:5432');
  });

  it('refuses an empty host and a session attribute the service cannot follow', () => {
    assert.throws(() => splitHosts('postgres://u@db1,,db2/x'), HostListError);
    assert.throws(
      () => splitHosts('postgres://u@db1,db2/x?target_session_attrs=read-only'),
      /only read-write/,
    );
    assert.doesNotThrow(() => splitHosts('postgres://u@db1,db2/x?target_session_attrs=primary'));
  });
});

describe('DATABASE_URL with several hosts', () => {
  it('is accepted, and described with every host and no password', () => {
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://app:s3cret@db1:5432,db2:5433/shannon' } });
    assert.equal(config.databaseUrl, 'postgres://app:s3cret@db1:5432,db2:5433/shannon');
    const described = describeConfig(config);
    assert.equal(described['databaseUrl'], 'postgres://app:***@db1:5432,db2:5433/shannon');
  });

  it('names the setting when a host is malformed', () => {
    assert.throws(
      () => loadConfig({ env: { DATABASE_URL: 'postgres://app@db1:5432,db2:notaport/shannon' } }),
      (error: unknown) => error instanceof ConfigError && error.setting === 'DATABASE_URL',
    );
    assert.throws(
      () => loadConfig({ env: { DATABASE_DIRECT_URL: 'postgres://app@db1,/shannon' } }),
      (error: unknown) =>
        error instanceof ConfigError && /DATABASE_DIRECT_URL: lists an empty host/.test(error.message),
    );
  });
});
