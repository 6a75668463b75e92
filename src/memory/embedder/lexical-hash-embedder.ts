/**
 * A deterministic local embedder for demos and tests: LEXICAL FEATURE HASHING, NOT SEMANTIC.
 * Words and character trigrams are hashed (FNV-1a) into signed buckets and L2-normalised, so texts
 * that share words score high and paraphrases with different words do not. Use an HTTP embedder
 * for real recall.
 */
import type { Embedder } from './embedder.js';

function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Feature-hashing embedder (name: `lexical-hash-v1`). */
export class LexicalHashEmbedder implements Embedder {
  readonly model = 'lexical-hash-v1';
  readonly dimension: number;

  constructor(dimension: number) {
    this.dimension = dimension;
  }

  /** One vector, synchronously. */
  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dimension);
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const features: Array<[string, number]> = words.map((w) => [`w:${w}`, 1]);
    for (const w of words) {
      const padded = `^${w}$`;
      for (let i = 0; i + 3 <= padded.length; i += 1) features.push([`c:${padded.slice(i, i + 3)}`, 0.5]);
    }
    for (const [feature, weight] of features) {
      const h = fnv1a(feature);
      v[h % this.dimension] = (v[h % this.dimension] as number) + (h >>> 31 === 1 ? -weight : weight);
    }
    let norm = 0;
    for (const x of v) norm += x * x;
    if (norm === 0) {
      v[0] = 1; // empty text: a fixed unit vector rather than an invalid zero vector
      return v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < v.length; i += 1) v[i] = (v[i] as number) * inv;
    return v;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  async close(): Promise<void> {}
}
