/**
 * Maximal marginal relevance: reorders candidates so each pick balances similarity to the query
 * against similarity to what was already picked. The original computed this and then re-sorted by
 * raw score, discarding it (W23); here the returned order IS the MMR order.
 */
import { ValidationError } from '../errors/errors.js';
import { cosine } from './vector.js';

/** A candidate for MMR: anything with a vector. */
export interface MmrCandidate {
  readonly vector: ArrayLike<number>;
}

/**
 * Greedy MMR (Carbonell & Goldstein): score = λ·sim(q, d) − (1−λ)·max(0, max sim(d, selected)),
 * ties to the earlier candidate. Returns at most `limit` candidates in MMR order.
 * @throws ValidationError when lambda is outside [0, 1].
 */
export function mmrRerank<T extends MmrCandidate>(
  query: ArrayLike<number>,
  candidates: readonly T[],
  lambda: number,
  limit: number = candidates.length,
): T[] {
  if (!(lambda >= 0 && lambda <= 1)) throw new ValidationError('mmr.lambda', 'must be between 0 and 1');
  const n = candidates.length;
  const relevance = candidates.map((c) => cosine(query, c.vector));
  // Running max similarity of each remaining candidate to the selected set, updated incrementally.
  const maxSimilarity = new Float64Array(n);
  const remaining = new Set<number>(Array.from({ length: n }, (_, i) => i));
  const order: T[] = [];
  while (order.length < Math.min(limit, n)) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const i of remaining) {
      const score = lambda * (relevance[i] as number) - (1 - lambda) * (maxSimilarity[i] as number);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    remaining.delete(best);
    const picked = candidates[best] as T;
    order.push(picked);
    for (const i of remaining) {
      const s = cosine((candidates[i] as T).vector, picked.vector);
      if (s > (maxSimilarity[i] as number)) maxSimilarity[i] = s;
    }
  }
  return order;
}
