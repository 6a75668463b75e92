import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  DEFAULT_PORT,
  DEFAULT_QUERY_TIMEOUT_MS,
  describeConfig,
  loadConfig,
  SETTING_ENV_NAMES,
} from '../../src/config/config.js';

describe('loadConfig', () => {
  it('uses the documented defaults and freezes the result', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.port, DEFAULT_PORT);
    assert.equal(config.pool.queryTimeoutMs, DEFAULT_QUERY_TIMEOUT_MS);
    assert.equal(config.databaseUrl, undefined);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.pool));
  });

  it('applies flag over environment over file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shannon-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 7001, poolMax: 3, host: '0.0.0.0' }));
    const config = loadConfig({ file, env: { PORT: '7002', PG_POOL_MAX: '4' }, flags: { port: '7003' } });
    assert.equal(config.port, 7003);
    assert.equal(config.pool.max, 4);
    assert.equal(config.host, '0.0.0.0');
  });

  it('reads the Qdrant cluster settings and refuses a write factor above the replication factor', () => {
    const config = loadConfig({
      env: {
        QDRANT_SHARD_NUMBER: '6',
        QDRANT_REPLICATION_FACTOR: '3',
        QDRANT_WRITE_CONSISTENCY_FACTOR: '2',
        QDRANT_READ_CONSISTENCY: 'quorum',
        QDRANT_TENANT_SHARDS: ' 0000000A-0000-4000-8000-000000000001,00000000-0000-4000-8000-000000000002',
      },
    });
    assert.deepEqual(
      { ...config.qdrantCluster },
      {
        shardNumber: 6,
        replicationFactor: 3,
        writeConsistencyFactor: 2,
        readConsistency: 'quorum',
        tenantShards: ['0000000a-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'],
      },
    );
    assert.equal(loadConfig({ env: { QDRANT_READ_CONSISTENCY: '2' } }).qdrantCluster.readConsistency, 2);
    assert.throws(
      () => loadConfig({ env: { QDRANT_WRITE_CONSISTENCY_FACTOR: '2' } }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'QDRANT_WRITE_CONSISTENCY_FACTOR',
    );
    assert.throws(
      () => loadConfig({ env: { QDRANT_READ_CONSISTENCY: 'most' } }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'QDRANT_READ_CONSISTENCY',
    );
  });

  it('needs both URLs behind a transaction pooler', () => {
    assert.throws(
      () => loadConfig({ env: { PG_POOL_MODE: 'transaction', DATABASE_URL: 'postgres://h/db' } }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'DATABASE_DIRECT_URL',
    );
    assert.throws(
      () => loadConfig({ env: { PG_POOL_MODE: 'transaction', DATABASE_DIRECT_URL: 'postgres://h/db' } }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'DATABASE_URL',
    );
    const config = loadConfig({
      env: {
        PG_POOL_MODE: 'transaction',
        DATABASE_URL: 'postgres://b/db',
        DATABASE_DIRECT_URL: 'postgres://h/db',
      },
    });
    assert.equal(config.pool.mode, 'transaction');
  });

  it('names the setting when a value is invalid', () => {
    assert.throws(
      () => loadConfig({ env: { PG_POOL_MAX: 'ten' } }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'PG_POOL_MAX' && e.code === 'CONFIG_INVALID',
    );
    assert.throws(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' } }), /DATABASE_URL/);
    assert.throws(() => loadConfig({ flags: { port: '99999' } }), /--port/);
    assert.throws(() => loadConfig({ env: { PG_SSL_MODE: 'maybe' } }), /PG_SSL_MODE/);
    assert.throws(
      () => loadConfig({ env: { PG_QUERY_TIMEOUT_MS: '5000', PG_STATEMENT_TIMEOUT_MS: '1000' } }),
      /PG_STATEMENT_TIMEOUT_MS/,
    );
  });

  it("reads the write-path settings; unset ones stay undefined for the write path's defaults", () => {
    assert.deepEqual(loadConfig({ env: {} }).ingest, {
      queueMaxRecords: undefined,
      queueMaxBytes: undefined,
      maxWaitMs: undefined,
      batchMaxRecords: undefined,
      flushIntervalMs: undefined,
      concurrency: undefined,
      closeTimeoutMs: undefined,
      stampMemoryRecords: undefined,
    });
    const config = loadConfig({
      env: {
        SHANNON_INGEST_QUEUE_MAX_RECORDS: '20000',
        SHANNON_INGEST_QUEUE_MAX_BYTES: '33554432',
        SHANNON_INGEST_MAX_WAIT_MS: '1000',
        SHANNON_INGEST_BATCH_MAX_RECORDS: '500',
        SHANNON_INGEST_FLUSH_INTERVAL_MS: '5',
        SHANNON_INGEST_CONCURRENCY: '2',
        SHANNON_INGEST_CLOSE_TIMEOUT_MS: '3000',
        SHANNON_INGEST_STAMP_MEMORY_RECORDS: '0',
      },
    });
    assert.deepEqual(config.ingest, {
      queueMaxRecords: 20_000,
      queueMaxBytes: 33_554_432,
      maxWaitMs: 1_000,
      batchMaxRecords: 500,
      flushIntervalMs: 5,
      concurrency: 2,
      closeTimeoutMs: 3_000,
      stampMemoryRecords: 0,
    });
    assert.ok(Object.isFrozen(config.ingest));
    assert.throws(
      () => loadConfig({ env: { SHANNON_INGEST_BATCH_MAX_RECORDS: '0' } }),
      /SHANNON_INGEST_BATCH_MAX_RECORDS/,
    );
    // Each batch in flight holds a pool connection: the pool must keep some for reads.
    assert.throws(
      () => loadConfig({ env: { SHANNON_INGEST_CONCURRENCY: '4', PG_POOL_MAX: '4' } }),
      (e: unknown) => e instanceof ConfigError && e.setting === 'SHANNON_INGEST_CONCURRENCY',
    );
  });

  it('every setting is in the configuration table of README.md', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const missing = SETTING_ENV_NAMES.filter((name) => !table.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });

  it('rejects unknown keys and unreadable files, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shannon-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    assert.throws(() => loadConfig({ file, env: {} }), /unknown keys: prot/);
    assert.throws(() => loadConfig({ file: join(dir, 'missing.json'), env: {} }), /cannot read/);
  });

  it('never shows secrets in its description', () => {
    const config = loadConfig({
      env: { DATABASE_URL: 'postgres://app:s3cret@db:5432/x', QDRANT_API_KEY: 'qk-123' },
    });
    const text = JSON.stringify(describeConfig(config));
    assert.ok(!text.includes('s3cret'));
    assert.ok(!text.includes('qk-123'));
  });
});
