/**
 * The index backends key points by id without the tenant. A tenant that upserts, through the
 * library, a point with an id another tenant already uses must not replace that tenant's point
 * in the index: it is refused with CONFLICT, and the other tenant's point stays searchable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import type { Memory } from '../../src/memory/memory.js';
import { createTenant, type TestDatabase } from '../helpers/database.js';
import { type MemoryFixture, openMemoryFixture } from '../helpers/memory.js';

const DIM = 8;
const unit = (axis: number) => Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0));

describe('point ids across tenants', () => {
  let t: TestDatabase;
  let memory: Memory;
  let fixture: MemoryFixture | undefined;
  before(async () => {
    fixture = await openMemoryFixture(DIM, 'memory-isolation');
    ({ t, memory } = fixture);
  });
  after(async () => {
    await fixture?.close();
  });

  it("refuses another tenant's id with CONFLICT and leaves the owner's point intact", async () => {
    const a = await createTenant(t.db);
    const b = await createTenant(t.db);
    const { ids } = await memory.upsert(a, 'cases', [
      { key: ['case-1'], vector: unit(0), payload: { reward: 1 } },
    ]);
    const id = ids[0]!;
    await assert.rejects(
      memory.upsert(b, 'cases', [{ id, vector: unit(5), payload: { reward: -1 } }]),
      (e: unknown) => isShannonError(e) && e.code === 'CONFLICT' && !e.message.includes(a),
    );
    await memory.flush();
    const hits = await memory.search(a, 'cases', { vector: unit(0), limit: 3 });
    assert.deepEqual(
      hits.map((h) => h.id),
      [id],
    );
    assert.equal(hits[0]!.payload['reward'], 1);
    assert.equal((await memory.search(b, 'cases', { vector: unit(5), limit: 3 })).length, 0);
  });
});
