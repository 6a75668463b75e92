import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isValidationError, ShannonError } from '../../src/errors/errors.js';
import { createStores, type Stores } from '../../src/stores/index.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let t: TestDatabase;
let stores: Stores;
let tenantA: string;
let tenantB: string;
let userA: string;
let userA2: string;

async function createUser(tenantId: string, externalId: string): Promise<string> {
  const { rows } = await t.db.query<{ id: string }>(
    'INSERT INTO public.users (tenant_id, external_id) VALUES ($1, $2) RETURNING id',
    [tenantId, externalId],
  );
  return rows[0]!.id;
}

before(async () => {
  t = await createTestDatabase();
  stores = createStores(t.db);
  tenantA = await createTenant(t.db);
  tenantB = await createTenant(t.db);
  userA = await createUser(tenantA, 'alice');
  userA2 = await createUser(tenantA, 'bob');
});
after(() => t.drop());

describe('session store', () => {
  it('creates a session once per (tenant, user, external id) and never overwrites its context (W9)', async () => {
    const first = await stores.sessions.create(tenantA, {
      userId: userA,
      externalId: 'chat-1',
      context: { title: 'first' },
    });
    const again = await stores.sessions.create(tenantA, {
      userId: userA,
      externalId: 'chat-1',
      context: { title: 'replay' },
    });
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.session.id, first.session.id);
    // The external id is mirrored into the context, where Shannon's own lookups read it (0073).
    assert.deepEqual(again.session.context, { title: 'first', external_id: 'chat-1' });
    const { rows } = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM public.sessions WHERE external_id = 'chat-1'",
    );
    assert.equal(rows[0]!.n, 1);
    // Another user of the tenant may reuse the external id.
    const other = await stores.sessions.create(tenantA, { userId: userA2, externalId: 'chat-1' });
    assert.equal(other.created, true);
    assert.notEqual(other.session.id, first.session.id);
  });

  it('keeps one session for concurrent creates by an anonymous user (NULL user, W9)', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => stores.sessions.create(tenantA, { externalId: 'anon-1' })),
    );
    assert.equal(new Set(results.map((r) => r.session.id)).size, 1);
    assert.equal(results.filter((r) => r.created).length, 1);
  });

  it('creates by caller uuid idempotently', async () => {
    const id = crypto.randomUUID();
    const a = await stores.sessions.create(tenantA, { id, userId: userA, context: { n: 1 } });
    const b = await stores.sessions.create(tenantA, { id, userId: userA, context: { n: 2 } });
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.deepEqual(b.session.context, { n: 1 });
    await assert.rejects(
      stores.sessions.create(tenantB, { id }),
      (e: unknown) => e instanceof ShannonError && e.code === 'CONFLICT',
    );
  });

  it('resolves by uuid or external id without casts (S1/S2)', async () => {
    const { session } = await stores.sessions.create(tenantA, { userId: userA, externalId: 'resolve-me' });
    assert.equal((await stores.sessions.resolve(tenantA, session.id))?.id, session.id);
    assert.equal((await stores.sessions.resolve(tenantA, 'resolve-me'))?.id, session.id);
    assert.equal(await stores.sessions.getByExternalId(tenantA, 'resolve-me', { userId: userA2 }), null);
    assert.equal(await stores.sessions.resolve(tenantA, 'no-such-session'), null);
    await assert.rejects(stores.sessions.getById(tenantA, 'not-a-uuid'), isValidationError);
  });

  it('patches the context atomically: concurrent patches keep every key (W11)', async () => {
    const { session } = await stores.sessions.create(tenantA, { userId: userA, context: { keep: true } });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stores.sessions.patchContext(tenantA, session.id, { [`k${i}`]: i }),
      ),
    );
    const patched = await stores.sessions.getById(tenantA, session.id);
    assert.equal(Object.keys(patched!.context).length, 11);
    assert.equal(patched!.context['keep'], true);
    await assert.rejects(
      stores.sessions.patchContext(tenantA, session.id, [] as unknown as Record<string, unknown>),
      isValidationError,
    );
  });

  it('soft delete hides the session from every read and frees its external id', async () => {
    const { session } = await stores.sessions.create(tenantA, { userId: userA2, externalId: 'to-delete' });
    assert.equal(await stores.sessions.softDelete(tenantA, session.id, { deletedBy: userA }), true);
    assert.equal(await stores.sessions.softDelete(tenantA, session.id), false);
    assert.equal(await stores.sessions.getById(tenantA, session.id), null);
    assert.equal(await stores.sessions.resolve(tenantA, 'to-delete'), null);
    const listed = await stores.sessions.list(tenantA, { userId: userA2, limit: 200 });
    assert.ok(!listed.items.some((s) => s.id === session.id));
    assert.equal(await stores.sessions.patchContext(tenantA, session.id, { title: 'x' }), null);
    const recreated = await stores.sessions.create(tenantA, { userId: userA2, externalId: 'to-delete' });
    assert.equal(recreated.created, true);
    assert.notEqual(recreated.session.id, session.id);
  });

  it('pages through sessions newest first, every row exactly once, ties on created_at included', async () => {
    const tenant = await createTenant(t.db);
    const user = await createUser(tenant, 'pager');
    // 45 sessions over 5 distinct timestamps: ties must be broken by id, not skipped or repeated.
    await t.db.query(
      `INSERT INTO public.sessions (tenant_id, user_id, created_at)
       SELECT $1, $2, timestamptz '2026-01-01 00:00:00.123456+00' + (i % 5) * interval '1 microsecond'
       FROM generate_series(1, 45) AS i`,
      [tenant, user],
    );
    const deleted = await t.db.query<{ id: string }>(
      `UPDATE public.sessions SET deleted_at = now()
       WHERE id = (SELECT id FROM public.sessions WHERE tenant_id = $1 LIMIT 1) RETURNING id`,
      [tenant],
    );
    for (const filter of [{ userId: user }, {}]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await stores.sessions.list(tenant, { ...filter, limit: 7, cursor });
        seen.push(...page.items.map((s) => s.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 100);
      assert.equal(seen.length, 44);
      assert.equal(new Set(seen).size, 44);
      assert.ok(!seen.includes(deleted.rows[0]!.id));
      const { rows } = await t.db.query<{ id: string }>(
        `SELECT id FROM public.sessions WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC`,
        [tenant],
      );
      assert.deepEqual(
        seen,
        rows.map((r) => r.id),
      );
    }
    assert.equal(await stores.sessions.countLive(tenant), 44);
    await assert.rejects(stores.sessions.list(tenant, { cursor: 'garbage' }), isValidationError);
  });

  it("never shows tenant A's sessions to tenant B", async () => {
    const { session } = await stores.sessions.create(tenantA, { userId: userA, externalId: 'secret' });
    assert.equal(await stores.sessions.getById(tenantB, session.id), null);
    assert.equal(await stores.sessions.resolve(tenantB, session.id), null);
    assert.equal(await stores.sessions.getByExternalId(tenantB, 'secret'), null);
    assert.equal((await stores.sessions.list(tenantB, { userId: userA })).items.length, 0);
    assert.equal((await stores.sessions.list(tenantB)).items.length, 0);
    assert.equal(await stores.sessions.countLive(tenantB), 0);
    assert.equal(await stores.sessions.patchContext(tenantB, session.id, { title: 'pwned' }), null);
    assert.equal(await stores.sessions.softDelete(tenantB, session.id), false);
    const still = await stores.sessions.getById(tenantA, session.id);
    assert.equal(still?.deletedAt, null);
    assert.equal(still?.context['title'], undefined);
    await assert.rejects(stores.sessions.list('not-a-tenant'), isValidationError);
    // The caller's transaction of tenant B cannot be used for tenant A.
    await assert.rejects(
      t.db.withTenant(tenantB, (tx) => stores.sessions.getById(tenantA, session.id, { tx })),
      (e: unknown) => isValidationError(e) && e.field === 'tenantId',
    );
    const inTx = await t.db.withTenant(tenantA, (tx) => stores.sessions.getById(tenantA, session.id, { tx }));
    assert.equal(inTx?.id, session.id);
    await assert.rejects(
      stores.sessions.create(tenantB, { userId: userA, externalId: 'fk' }),
      (e: unknown) => isValidationError(e) && e.field === 'userId',
    );
  });
});
