/** The key management commands as a user runs them: `tenants create`, `keys create|list|revoke --json`. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestApiKey } from '../../src/auth/api-key.js';
import { runCliSync } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('tenants and keys commands', () => {
  let t: TestDatabase;
  let dir: string;
  const cli = (...args: string[]) =>
    runCliSync(args, { DATABASE_URL: t.url, SHANNON_DATA_DIR: dir, LOG_LEVEL: 'silent' });
  before(async () => {
    t = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'shannon-cli-'));
  });
  after(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a tenant and a key (shown once), lists without the key, revokes', async () => {
    const tenant = cli('tenants', 'create', 'cli-co', '--plan', 'pro', '--json');
    assert.equal(tenant.status, 0, tenant.err);
    assert.equal(JSON.parse(tenant.out).rateLimitPerHour, 100_000);
    const again = cli('tenants', 'create', 'cli-co', '--json');
    assert.equal(again.status, 3, 'a conflict is an error: the command could not do its work');
    assert.equal(JSON.parse(again.err).error.code, 'CONFLICT');

    const created = cli(
      'keys',
      'create',
      '--tenant',
      'cli-co',
      '--scopes',
      'data:read,memory:read',
      '--expires',
      '30d',
      '--json',
    );
    assert.equal(created.status, 0, created.err);
    const key = JSON.parse(created.out) as {
      key: string;
      prefix: string;
      scopes: string[];
      expiresAt: string;
    };
    assert.match(key.key, /^sdk_[A-Za-z0-9]{12}_/);
    assert.deepEqual(key.scopes, ['data:read', 'memory:read']);
    assert.ok(Date.parse(key.expiresAt) > Date.now() + 29 * 86_400_000);

    const listed = cli('keys', 'list', '--tenant', 'cli-co', '--json');
    assert.equal(listed.status, 0, listed.err);
    assert.ok(!listed.out.includes(key.key.slice(17)), 'list never shows the key');
    assert.equal(JSON.parse(listed.out).keys[0].prefix, key.prefix);
    const { rows } = await t.db.query<{ key_hash: string }>(
      `SELECT key_hash FROM auth.api_keys WHERE key_prefix = $1`,
      [key.prefix],
    );
    assert.equal(rows[0]?.key_hash, digestApiKey(key.key));

    const bad = cli('keys', 'create', '--tenant', 'cli-co', '--scopes', 'root', '--json');
    assert.equal(bad.status, 2, 'an invalid argument is a usage error');
    assert.equal(JSON.parse(bad.err).error.field, 'scopes');

    const revoked = cli('keys', 'revoke', key.prefix, '--json');
    assert.equal(revoked.status, 0, revoked.err);
    const after = JSON.parse(cli('keys', 'list', '--tenant', 'cli-co', '--json').out);
    assert.equal(after.keys[0].isActive, false);
    assert.ok(after.keys[0].revokedAt);
  });
});
