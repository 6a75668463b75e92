/**
 * The library searches by text as the HTTP service does: `memory.search(tenant, collection,
 * {text})` embeds the text with the memory's own embedder, so a point written with the embedding
 * of a text is found by that text. Exactly one of `vector` and `text` is accepted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Memory, SearchOptions } from '../../src/memory/memory.js';
import { createTenant, type TestDatabase } from '../helpers/database.js';
import { type MemoryFixture, openMemoryFixture } from '../helpers/memory.js';

const DIM = 64;

describe('memory.search with text', () => {
  let t: TestDatabase;
  let memory: Memory;
  let fixture: MemoryFixture | undefined;
  before(async () => {
    fixture = await openMemoryFixture(DIM, 'memory-search-text');
    ({ t, memory } = fixture);
  });
  after(async () => {
    await fixture?.close();
  });

  it('finds the point written with the embedding of the same text', async () => {
    const tenant = await createTenant(t.db);
    const texts = [
      'rotate the database credentials',
      'summarise the quarterly report',
      'book a flight to Lisbon',
    ];
    const vectors = await memory.embed(texts);
    const { ids } = await memory.upsert(
      tenant,
      'cases',
      texts.map((text, i) => ({ key: [text], vector: Array.from(vectors[i]!), payload: { text } })),
    );
    await memory.flush();
    const byText = await memory.search(tenant, 'cases', { text: texts[1]!, limit: 3 });
    assert.equal(byText[0]?.id, ids[1]);
    const byVector = await memory.search(tenant, 'cases', { vector: Array.from(vectors[1]!), limit: 3 });
    assert.deepEqual(
      byText.map((h) => [h.id, h.score]),
      byVector.map((h) => [h.id, h.score]),
    );
  });

  it('refuses both or neither of vector and text, and an empty text, naming the field', async () => {
    const tenant = await createTenant(t.db);
    const both = { vector: new Array(DIM).fill(0.1), text: 'x' } as unknown as SearchOptions;
    await assert.rejects(memory.search(tenant, 'cases', both), {
      code: 'VALIDATION_FAILED',
      field: 'vector',
    });
    await assert.rejects(memory.search(tenant, 'cases', {} as unknown as SearchOptions), {
      code: 'VALIDATION_FAILED',
      field: 'vector',
    });
    await assert.rejects(memory.search(tenant, 'cases', { text: '  ' }), {
      code: 'VALIDATION_FAILED',
      field: 'text',
    });
  });
});
