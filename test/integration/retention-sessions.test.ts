/**
 * Sessions expire by `expires_at`, which is now maintained: set on create, renewed by a context
 * patch and by a snapshot of the session's hot state (uuid and external id), set to the deletion
 * time by a soft delete. A session's archive outlives its cache TTL (a resumed read still finds
 * it after a retention run) and goes at its own retention.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runRetention } from '../../src/ops/retention.js';
import { createSessionCache } from '../../src/sessions/session-cache.js';
import { createStores, type Stores } from '../../src/stores/index.js';
import { DEFAULT_SESSION_LIFETIME_DAYS } from '../../src/stores/session-store.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const DAY_MS = 86_400_000;

describe('session expiry and session archives under retention', () => {
  let t: TestDatabase;
  let stores: Stores;
  let tenant: string;
  let dir: string;

  before(async () => {
    t = await createTestDatabase();
    stores = createStores(t.db);
    tenant = await createTenant(t.db);
    dir = await mkdtemp(join(tmpdir(), 'shannon-retention-sessions-'));
  });
  after(async () => {
    await t?.drop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Milliseconds from now to the session's expires_at. */
  async function expiresIn(id: string): Promise<number> {
    const { rows } = await t.db.query<{ ms: number }>(
      `SELECT extract(epoch FROM expires_at - now())::float8 * 1000 AS ms FROM public.sessions WHERE id = $1`,
      [id],
    );
    return rows[0]!.ms;
  }
  const lifetimeMs = DEFAULT_SESSION_LIFETIME_DAYS * DAY_MS;
  const near = (ms: number, expected: number) => Math.abs(ms - expected) < 60_000;

  it('sets expires_at on create, renews it on a context patch, and a soft delete expires the session', async () => {
    const { session: byExternal } = await stores.sessions.create(tenant, { externalId: 'chat-expiry' });
    const { session: byId } = await stores.sessions.create(tenant, { id: crypto.randomUUID() });
    for (const s of [byExternal, byId]) {
      assert.ok(s.expiresAt !== null);
      assert.ok(near(await expiresIn(s.id), lifetimeMs), 'expires a lifetime after creation');
    }
    await t.db.query(`UPDATE public.sessions SET expires_at = now() - interval '3 days' WHERE id = $1`, [
      byId.id,
    ]);
    await stores.sessions.patchContext(tenant, byId.id, { title: 'renamed' });
    assert.ok(near(await expiresIn(byId.id), lifetimeMs), 'a write renews the expiry');

    assert.equal(await stores.sessions.softDelete(tenant, byExternal.id), true);
    const { rows } = await t.db.query<{ same: boolean }>(
      `SELECT expires_at = deleted_at AS same FROM public.sessions WHERE id = $1`,
      [byExternal.id],
    );
    assert.equal(rows[0]!.same, true, 'a deleted session expires at its deletion');
  });

  it('a snapshot of the hot state renews the session it belongs to, by uuid and by external id', async () => {
    const { session: byId } = await stores.sessions.create(tenant, { id: crypto.randomUUID() });
    const { session: byExternal } = await stores.sessions.create(tenant, { externalId: 'chat-hot' });
    await t.db.query(
      `UPDATE public.sessions SET expires_at = now() + interval '2 days' WHERE id = ANY($1::uuid[])`,
      [[byId.id, byExternal.id]],
    );
    const cache = createSessionCache({ db: t.db, snapshotIntervalMs: 0 });
    try {
      await cache.set(tenant, byId.id, { data: { step: 1 } });
      await cache.set(tenant, 'chat-hot', { data: { step: 1 } });
      await cache.sweep();
    } finally {
      await cache.close();
    }
    assert.ok(near(await expiresIn(byId.id), lifetimeMs), 'renewed through its uuid');
    assert.ok(near(await expiresIn(byExternal.id), lifetimeMs), 'renewed through its external id');
  });

  it("keeps a session's archive past its cache TTL, so it still resumes, and removes it at its own retention", async () => {
    const cache = createSessionCache({ db: t.db, snapshotIntervalMs: 0 });
    const sid = `resumable-${crypto.randomUUID()}`;
    try {
      await cache.set(tenant, sid, { data: { history: ['hello'] }, messageCount: 1 }, 200);
      await sleep(300);
      await cache.sweep();
      const { rows } = await t.db.query<{ past: boolean }>(
        `SELECT ttl_expires_at < now() AS past FROM public.session_archives WHERE session_id = $1`,
        [sid],
      );
      assert.deepEqual(
        rows.map((r) => r.past),
        [true],
        'archived on expiry, its cache TTL passed',
      );

      const report = await runRetention(t.db, t.db, { archiveDirectory: dir });
      assert.ok(report.actions.every((a) => a.done));
      const resumed = await cache.read(tenant, sid);
      assert.equal(resumed?.source, 'archive', 'still resumes after a retention run');
      assert.deepEqual(resumed?.state.data, { history: ['hello'] });

      // A free tenant keeps snapshots 30 days: 31 days on, the archive goes (exported first).
      const later = await runRetention(t.db, t.db, {
        archiveDirectory: dir,
        now: new Date(Date.now() + 31 * DAY_MS),
      });
      const purge = later.actions.find(
        (a) => a.kind === 'delete_tenant_rows' && a.table === 'public.session_archives',
      );
      assert.ok(purge?.done, JSON.stringify(later.actions));
      assert.equal(await cache.read(tenant, sid), undefined);
    } finally {
      await cache.close();
    }
  });
});
