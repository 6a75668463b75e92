import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddingCache, embeddingKey } from '../../src/memory/embedder/embedding-cache.js';
import { LexicalHashEmbedder } from '../../src/memory/embedder/lexical-hash-embedder.js';
import { cosine } from '../../src/memory/vector.js';

describe('lexical hash embedder (not semantic)', () => {
  const e = new LexicalHashEmbedder(256);
  it('is deterministic, unit-length, and scores shared words above unrelated text', () => {
    const a = e.embedOne('How do I reset my database password?');
    assert.deepEqual(a, e.embedOne('How do I reset my database password?'));
    assert.ok(Math.abs(cosine(a, a) - 1) < 1e-6);
    const near = cosine(a, e.embedOne('reset the database password'));
    const far = cosine(a, e.embedOne('weather forecast for tomorrow in Paris'));
    assert.ok(near > 0.4 && near > far + 0.3, `near ${near}, far ${far}`);
    assert.equal(e.embedOne('').length, 256);
  });
});

describe('embedding LRU cache', () => {
  it('evicts the least recently used entry and expires by TTL', async () => {
    let now = 0;
    const cache = new EmbeddingCache({ maxEntries: 2, ttlMs: 1000, now: () => now });
    const v = (x: number) => Float32Array.from([x]);
    await cache.setMany([
      ['a', v(1)],
      ['b', v(2)],
    ]);
    await cache.getMany(['a']); // a is now most recent
    await cache.setMany([['c', v(3)]]);
    const got = await cache.getMany(['a', 'b', 'c']);
    assert.deepEqual(
      got.map((x) => x?.[0]),
      [1, undefined, 3],
    );
    now = 5000;
    assert.deepEqual(await cache.getMany(['a']), [undefined]);
    assert.ok(cache.hitRatio > 0 && cache.hitRatio < 1);
    assert.notEqual(embeddingKey('m1', 'x'), embeddingKey('m2', 'x'));
  });
});
