import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  DEFAULT_PORT,
  DEFAULT_QUERY_TIMEOUT_MS,
  describeConfig,
  loadConfig,
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
