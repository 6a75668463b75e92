/**
 * The verified-key cache: a key is trusted for the TTL without a lookup, re-verified in the
 * background after half of it, and refused once a revocation (or expiry, or tenant deactivation)
 * is older than the TTL. While PostgreSQL cannot be reached a cached key keeps working (its writes
 * go to the spool) and an unknown key is 503, not 401. The clock is injected: no waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuthDatabase } from '../../src/auth/api-keys.js';
import { createApiKey, revokeApiKey } from '../../src/auth/api-keys.js';
import { type Authenticator, createAuthenticator } from '../../src/auth/authenticator.js';
import { createTenant } from '../../src/auth/tenants.js';
import { DatabaseError, isShannonError } from '../../src/errors/errors.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const TTL = 60_000;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return isShannonError(error) ? error.code : String(error);
  }
}

describe('verified-key cache', () => {
  let t: TestDatabase;
  let clock = 1_000_000;
  let down = false;
  let lookups = 0;
  /** The real database, with a switch that makes every lookup fail as an outage would. */
  let db: AuthDatabase;
  let auth: Authenticator;
  let tenantId: string;

  before(async () => {
    t = await createTestDatabase();
    tenantId = (await createTenant(t.db, { slug: `cache-${process.pid}` })).id;
    db = {
      query: (async (...args: Parameters<AuthDatabase['query']>) => {
        lookups += 1;
        if (down) throw new DatabaseError('DB_UNAVAILABLE', 'auth.authenticate: connect ECONNREFUSED');
        return t.db.query(...args);
      }) as AuthDatabase['query'],
      withTenant: (tenant, fn, options) => {
        if (down) return Promise.reject(new DatabaseError('DB_UNAVAILABLE', 'down'));
        return t.db.withTenant(tenant, fn, options);
      },
    };
    auth = createAuthenticator(db, { ttlMs: TTL, now: () => clock });
  });
  after(() => t.drop());

  const settle = () => new Promise((r) => setTimeout(r, 200));

  it('a verified key is trusted for the TTL without a lookup', async () => {
    const { key } = await createApiKey(t.db, { tenantId, name: 'hit' });
    const before = lookups;
    assert.equal((await auth.authenticate(key)).tenantId, tenantId);
    assert.equal(lookups, before + 1);
    clock += TTL / 4;
    await auth.authenticate(key);
    await auth.authenticate(key);
    assert.equal(lookups, before + 1, 'no lookup within the first half of the TTL');
  });

  it('a revoked key is refused once the revocation is older than the TTL, and refreshed away sooner', async () => {
    const { key, id } = await createApiKey(t.db, { tenantId, name: 'revoked' });
    await auth.authenticate(key);
    await revokeApiKey(t.db, id);
    clock += TTL / 4;
    assert.equal(await codeOf(auth.authenticate(key)), 'ok', 'still trusted inside the TTL (documented)');
    clock += TTL;
    assert.equal(await codeOf(auth.authenticate(key)), 'UNAUTHENTICATED');

    // Used after half its TTL, a key is re-verified in the background: the revocation is seen
    // before the TTL runs out.
    const second = await createApiKey(t.db, { tenantId, name: 'refreshed' });
    await auth.authenticate(second.key);
    await revokeApiKey(t.db, second.id);
    clock += (TTL * 3) / 4;
    assert.equal(await codeOf(auth.authenticate(second.key)), 'ok');
    await settle();
    assert.equal(await codeOf(auth.authenticate(second.key)), 'UNAUTHENTICATED');
  });

  it("a key's own expiry is honoured from the cache", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { key } = await createApiKey(t.db, { tenantId, name: 'expiring', expiresAt });
    await auth.authenticate(key);
    const saved = clock;
    clock = expiresAt.getTime() + 1;
    assert.equal(await codeOf(auth.authenticate(key)), 'UNAUTHENTICATED');
    clock = saved;
  });

  it('during an outage a cached key keeps working, an unknown key is 503, never 401', async () => {
    const { key } = await createApiKey(t.db, { tenantId, name: 'outage' });
    const { key: neverSeen } = await createApiKey(t.db, { tenantId, name: 'unseen' });
    await auth.authenticate(key);
    down = true;
    try {
      clock += TTL * 2; // past the TTL: a lookup is due, and fails
      assert.equal((await auth.authenticate(key)).tenantId, tenantId);
      const unknown = await codeOf(auth.authenticate(neverSeen));
      assert.equal(unknown, 'DB_UNAVAILABLE');
      clock += 60 * 60_000; // far past the stale-if-error bound
      assert.equal(await codeOf(auth.authenticate(key)), 'DB_UNAVAILABLE');
    } finally {
      down = false;
    }
    assert.equal(await codeOf(auth.authenticate(key)), 'ok', 'verified again once PostgreSQL answers');
  });

  it('with a TTL of 0 every request asks PostgreSQL', async () => {
    const uncached = createAuthenticator(db, { ttlMs: 0, now: () => clock });
    const { key, id } = await createApiKey(t.db, { tenantId, name: 'uncached' });
    await uncached.authenticate(key);
    await revokeApiKey(t.db, id);
    assert.equal(await codeOf(uncached.authenticate(key)), 'UNAUTHENTICATED');
  });
});
