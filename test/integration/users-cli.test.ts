/** The users commands as an operator runs them: `users create | list | deactivate`, and `tenants update`. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCliSync } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('users and tenants update commands', () => {
  let t: TestDatabase;
  let dir: string;
  const cli = (...args: string[]) =>
    runCliSync(args, { DATABASE_URL: t.url, SHANNON_DATA_DIR: dir, LOG_LEVEL: 'silent' });
  before(async () => {
    t = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'shannon-users-cli-'));
  });
  after(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a user in a tenant, refuses a taken external id, lists and deactivates', async () => {
    const tenant = cli('tenants', 'create', 'users-co', '--json');
    assert.equal(tenant.status, 0, tenant.err);
    const tenantId = JSON.parse(tenant.out).id as string;

    const created = cli(
      'users',
      'create',
      '--tenant',
      'users-co',
      '--external-id',
      'alice',
      '--email',
      'a@x.io',
      '--json',
    );
    assert.equal(created.status, 0, created.err);
    const user = JSON.parse(created.out) as {
      id: string;
      tenantId: string;
      externalId: string;
      active: boolean;
    };
    assert.equal(user.tenantId, tenantId);
    assert.equal(user.externalId, 'alice');
    assert.equal(user.active, true);
    const { rows } = await t.db.query<{ email: string }>(
      `SELECT email FROM public.users WHERE tenant_id = $1 AND id = $2`,
      [tenantId, user.id],
    );
    assert.equal(rows[0]?.email, 'a@x.io');

    const byId = cli('users', 'create', '--tenant', tenantId, '--external-id', 'bob');
    assert.equal(byId.status, 0, byId.err);
    assert.match(byId.out, /created user bob \([0-9a-f-]{36}\) in users-co/);

    const again = cli('users', 'create', '--tenant', 'users-co', '--external-id', 'alice', '--json');
    // Exit 3: the command could not do its work (README, Commands: exit statuses).
    assert.equal(again.status, 3);
    assert.equal(JSON.parse(again.err).error.code, 'CONFLICT');
    const noTenant = cli('users', 'create', '--tenant', 'nobody-co', '--external-id', 'x', '--json');
    assert.equal(noTenant.status, 3);
    assert.equal(JSON.parse(noTenant.err).error.code, 'NOT_FOUND');

    const listed = cli('users', 'list', '--tenant', 'users-co', '--json');
    assert.equal(listed.status, 0, listed.err);
    assert.deepEqual(
      (JSON.parse(listed.out).users as { externalId: string }[]).map((u) => u.externalId).sort(),
      ['alice', 'bob'],
    );

    const off = cli('users', 'deactivate', 'alice', '--tenant', 'users-co', '--json');
    assert.equal(off.status, 0, off.err);
    assert.equal(JSON.parse(off.out).active, false);
    const offById = cli('users', 'deactivate', user.id, '--tenant', 'users-co');
    assert.equal(offById.status, 0, offById.err);
    const missing = cli('users', 'deactivate', 'carol', '--tenant', 'users-co', '--json');
    assert.equal(missing.status, 3);
    assert.equal(JSON.parse(missing.err).error.code, 'NOT_FOUND');
  });

  it('updates a tenant plan and rate limit', () => {
    assert.equal(cli('tenants', 'create', 'plan-co').status, 0);
    const plan = cli('tenants', 'update', 'plan-co', '--plan', 'pro', '--json');
    assert.equal(plan.status, 0, plan.err);
    assert.equal(JSON.parse(plan.out).plan, 'pro');
    assert.equal(JSON.parse(plan.out).rateLimitPerHour, 1_000, 'the limit is kept unless given');
    const limit = cli('tenants', 'update', 'plan-co', '--rate-limit', '5000', '--json');
    assert.equal(limit.status, 0, limit.err);
    assert.equal(JSON.parse(limit.out).rateLimitPerHour, 5000);
    assert.equal(JSON.parse(limit.out).plan, 'pro');
    const bad = cli('tenants', 'update', 'plan-co', '--plan', 'gold', '--json');
    // Exit 2: a bad option value.
    assert.equal(bad.status, 2);
    assert.equal(JSON.parse(bad.err).error.field, 'plan');
  });
});
