import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pointId, uuidV5 } from '../../src/memory/point-id.js';
import { decodeVector, encodeVector, validateVector } from '../../src/memory/vector.js';

describe('vector validation', () => {
  it('rejects NaN, ±Infinity, beyond-float32 values and wrong dimensions, naming the field', () => {
    const base = [0.1, 0.2, 0.3, 0.4];
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.5e38, -1e39]) {
      const v = [...base];
      v[2] = bad;
      assert.throws(() => validateVector(v, 4, 'points[2].vector'), {
        code: 'VALIDATION_FAILED',
        field: 'points[2].vector[2]',
      });
    }
    assert.throws(() => validateVector([1, 2, 3], 4, 'vector'), { field: 'vector' });
    assert.throws(() => validateVector([0, 0, 0, 0], 4), { field: 'vector' });
    // Non-zero doubles that are zero as float32, and floats whose squares underflow: no direction.
    assert.throws(() => validateVector([1e-46, 1e-46, -1e-46, 1e-46], 4), { field: 'vector' });
    assert.throws(() => validateVector([1e-30, 1e-30, 1e-30, 1e-30], 4), { field: 'vector' });
    assert.throws(() => validateVector('x', 4), { field: 'vector' });
    assert.throws(() => validateVector([1, '2', 3, 4], 4), { field: 'vector[1]' });
  });

  it('accepts float32 extremes and round-trips through little-endian bytes', () => {
    const v = validateVector([3.4e38, -1.5, 1e-45, 0.1], 4);
    const bytes = encodeVector(v);
    assert.equal(bytes.length, 16);
    assert.equal(bytes.readFloatLE(4), -1.5);
    assert.deepEqual(decodeVector(bytes), v);
  });
});

describe('deterministic point ids', () => {
  it('matches the RFC 9562 UUIDv5 test vector', () => {
    // RFC 9562 appendix A.4: name "www.example.com" in the DNS namespace.
    assert.equal(
      uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('is stable for the same key and differs by collection, tenant and key', () => {
    const t = '11111111-2222-4333-8444-555555555555';
    const a = pointId('task_embeddings', t, 'qa-1', 0);
    assert.equal(a, pointId('task_embeddings', t.toUpperCase(), 'qa-1', 0));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const others = [
      pointId('summaries', t, 'qa-1', 0),
      pointId('task_embeddings', '21111111-2222-4333-8444-555555555555', 'qa-1', 0),
      pointId('task_embeddings', t, 'qa-1', 1),
      pointId('task_embeddings', t, 'qa-10'),
    ];
    assert.equal(new Set([a, ...others]).size, 5);
  });
});
