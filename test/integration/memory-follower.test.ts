/**
 * The embedded index's outbox follower (src/memory/index-follower.ts), which keeps every service
 * instance's index in step with PostgreSQL. Outbox ids are taken before commit, so a transaction
 * holding an earlier id can commit after a later one: a cursor that read the later row first and
 * moved past it would never see the earlier one. The follower reads only rows of transactions that
 * have all finished, in (transaction, id) order; here a point written in a transaction left open
 * while another commits must still reach the index once it commits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collectionRegistry } from '../../src/memory/collections.js';
import { EmbeddedBackend } from '../../src/memory/embedded/embedded-backend.js';
import { IndexFollower } from '../../src/memory/index-follower.js';
import { loadCollectionPoints, type Memory } from '../../src/memory/memory.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTestMemory } from '../helpers/memory.js';

const DIM = 8;
const vector = (axis: number) => Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0.05));

describe('embedded index follower', () => {
  let t: TestDatabase;
  let memory: Memory;
  let tenant: string;
  let backend: EmbeddedBackend;
  let follower: IndexFollower;
  let physical: string;

  before(async () => {
    t = await createTestDatabase();
    tenant = await createTenant(t.db);
    // The writing instance: its relay is off, so only the follower can bring points to `backend`.
    memory = createTestMemory({
      db: t.db,
      config: {
        vectorDimension: DIM,
        dataDir: '/nonexistent',
        qdrantUrl: undefined,
        qdrantApiKey: undefined,
      },
      snapshotDir: null,
      startRelay: false,
    });
    await memory.init();
    physical = (
      await t.db.query<{ physical_name: string }>(
        `SELECT physical_name FROM public.memory_collection_versions WHERE collection = 'task_embeddings' AND state = 'active'`,
      )
    ).rows[0]!.physical_name;
    // Another instance's index: horizon first, then the load, as the memory's bootstrap does.
    backend = new EmbeddedBackend({ dataDir: undefined, loadPoints: (p) => loadCollectionPoints(t.db, p) });
    follower = new IndexFollower({ db: t.db, backend });
    await follower.begin();
    const definition = collectionRegistry(DIM).get('task_embeddings')!;
    await backend.ensureCollection(physical, definition);
  });

  after(async () => {
    await follower?.stop();
    await backend?.close();
    await memory?.close();
    await t?.drop();
  });

  const held = async () => {
    const ids: string[] = [];
    for await (const page of backend.listVersions(physical)) ids.push(...page.map((v) => v.id));
    return ids.sort();
  };

  it('waits for a transaction that took an earlier outbox id, then applies both points', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let early: string | undefined;
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const open = t.db.withTransaction(
      async (tx) => {
        const { ids } = await memory.upsert(
          tenant,
          'task_embeddings',
          [{ key: ['early'], vector: vector(0) }],
          { tx },
        );
        early = ids[0];
        written();
        await gate;
      },
      { tenantId: tenant },
    );
    await wrote;
    let lateIds: string[] = [];
    try {
      ({ ids: lateIds } = await memory.upsert(tenant, 'task_embeddings', [
        { key: ['late'], vector: vector(1) },
      ]));
      // The later row is committed, but an earlier transaction is still running: nothing is read yet.
      assert.deepEqual(await follower.runOnce(), { applied: 0, waiting: false });
      assert.deepEqual(await held(), []);
    } finally {
      // Even when an assertion fails, the open transaction ends, so nothing waits on it.
      release();
    }
    await open;
    // Other sessions on the shared test server may hold the horizon back a while: poll, bounded.
    const follow = async (want: number) => {
      let applied = 0;
      const started = Date.now();
      while (applied < want && Date.now() - started < 30_000) {
        const pass = await follower.runOnce();
        applied += pass.applied;
        if (pass.applied === 0) await new Promise((r) => setTimeout(r, 50));
      }
      return applied;
    };
    assert.equal(await follow(2), 2);
    assert.deepEqual(await held(), [early, lateIds[0]].sort());

    // A delete follows the same way.
    assert.equal(await memory.delete(tenant, 'task_embeddings', [lateIds[0]!]), 1);
    assert.equal(await follow(1), 1);
    assert.deepEqual(await held(), [early]);
  });
});
