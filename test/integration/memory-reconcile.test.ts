import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { VectorBackend } from '../../src/memory/backend.js';
import { createVectorBackend } from '../../src/memory/create-backend.js';
import type { Memory } from '../../src/memory/memory.js';
import { encodeVector } from '../../src/memory/vector.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTestMemory } from '../helpers/memory.js';

const DIM = 8;
const vec = (axis: number) => Array.from({ length: DIM }, (_, i) => (i === axis % DIM ? 1 : 0.02 * i));

describe('reconciliation, rebuild and model change (embedded backend)', () => {
  let t: TestDatabase;
  let memory: Memory;
  let backend: VectorBackend;
  let tenant: string;

  before(async () => {
    t = await createTestDatabase();
    tenant = await createTenant(t.db);
    const config = {
      vectorDimension: DIM,
      dataDir: '/nonexistent',
      qdrantUrl: undefined,
      qdrantApiKey: undefined,
    };
    backend = createVectorBackend({ config, db: t.db, snapshotDir: null });
    memory = createTestMemory({ db: t.db, config, backend, startRelay: false });
    const points = Array.from({ length: 10 }, (_, i) => ({
      key: ['p', i],
      vector: vec(i),
      payload: { text: `t${i}`, session_id: 's' },
    }));
    await memory.upsert(tenant, 'summaries', points);
    await memory.flush();
  });

  after(async () => {
    await memory?.close();
    await t?.drop();
  });

  it('finds and repairs planted missing, orphan and stale points', async () => {
    const clean = await memory.reconcile('summaries');
    assert.deepEqual([clean[0]?.missing, clean[0]?.orphans, clean[0]?.stale], [0, 0, 0]);

    // missing: a row in PostgreSQL that never reached the index (written around the outbox)
    const missingId = randomUUID();
    await t.db.query(
      `INSERT INTO memory_points (tenant_id, collection, id, vector, payload) VALUES ($1, 'summaries', $2, $3, $4)`,
      [
        tenant,
        missingId,
        encodeVector(Float32Array.from(vec(3))),
        JSON.stringify({ text: 'missing', session_id: 's', timestamp: 5 }),
      ],
    );
    // orphan: a point only the index holds
    const orphanId = randomUUID();
    await backend.upsert('summaries', [
      {
        id: orphanId,
        key: 999_999n,
        vector: Float32Array.from(vec(4)),
        payload: { tenant_id: tenant, _version: 1, session_id: 's' },
        version: 1,
      },
    ]);
    // stale: PostgreSQL moved on without telling the index
    const { rows } = await t.db.query<{ id: string }>(
      `UPDATE memory_points SET payload = payload || '{"text":"fresh"}', version = version + 1
       WHERE id = (SELECT id FROM memory_points WHERE collection = 'summaries' AND payload->>'text' = 't5') RETURNING id::text`,
    );
    const staleId = rows[0]?.id as string;

    const found = await memory.reconcile('summaries');
    assert.equal(found[0]?.missing, 1);
    assert.equal(found[0]?.orphans, 1);
    assert.equal(found[0]?.stale, 1);
    assert.deepEqual(found[0]?.examples, { missing: [missingId], orphans: [orphanId], stale: [staleId] });

    const repaired = await memory.reconcile('summaries', { repair: true });
    assert.equal(repaired[0]?.repaired, true);
    const after = await memory.reconcile('summaries');
    assert.deepEqual([after[0]?.missing, after[0]?.orphans, after[0]?.stale], [0, 0, 0]);
    const hit = await memory.search(tenant, 'summaries', { vector: vec(5), limit: 1 });
    assert.equal(hit[0]?.payload['text'], 'fresh');
    assert.equal(await memory.count(tenant, 'summaries'), 11);
  });

  it('rebuilds a lost index from PostgreSQL', async () => {
    await backend.dropCollection('summaries');
    const rebuilt = await memory.rebuild('summaries');
    assert.equal(rebuilt[0]?.points, 11);
    assert.equal(await memory.count(tenant, 'summaries'), 11);
  });

  it('changes the embedding model: new version backfilled, then swapped in', async () => {
    const NEW_DIM = 4;
    const result = await memory.changeModel('summaries', {
      model: 'test-model-2',
      dimension: NEW_DIM,
      // A deterministic "model": one-hot on the digit in the text.
      embed: async ({ payload }) => {
        const n = Number(String(payload['text']).replace(/\D/g, '') || 0);
        return Array.from({ length: NEW_DIM }, (_, i) => (i === n % NEW_DIM ? 1 : 0.01));
      },
    });
    assert.equal(result.to, 'summaries_v2');
    assert.equal(result.points, 11);
    const status = await memory.status();
    const summaries = status.collections.filter((c) => c.collection === 'summaries');
    assert.deepEqual(
      summaries.map((c) => [c.physicalName, c.state]),
      [['summaries_v2', 'active']],
    );
    // Searches now use the new version (and its dimension).
    const hits = await memory.search(tenant, 'summaries', { vector: [0, 0, 1, 0], limit: 3 });
    assert.deepEqual(new Set(hits.slice(0, 2).map((h) => h.payload['text'])), new Set(['t2', 't6']));
    assert.ok((hits[2]?.score ?? 1) < 0.9);
    await assert.rejects(memory.search(tenant, 'summaries', { vector: vec(1) }), { field: 'vector' });
  });
});
