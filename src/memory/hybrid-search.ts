/**
 * Hybrid retrieval: a lexical leg over PostgreSQL full-text search, fused with the dense (vector)
 * leg by weighted reciprocal rank fusion. Dense vectors miss names, identifiers and file names;
 * the lexical leg finds them by their tokens.
 *
 * The lexical leg reads `public.memory_points`, the source of truth, for either backend. It
 * matches every string value of the payload (`jsonb_to_tsvector(…, '["string"]')`, the expression
 * of the GIN index in migration 0064), under the `simple` configuration: no stemming and no stop
 * words, so `XK-4821` or `billing_service.py` match as written, in any language. The query's
 * words are OR-ed (a question need not contain only words the point has) and ranked with
 * `ts_rank_cd`, which favours points holding more of them close together. A word the parser
 * splits (`ERR-4259` is `err` then `-4259`) must match as the phrase it was written as: OR-ing its
 * pieces would let `err` match every identifier of that form and bury the one point that holds
 * `ERR-4259` under ties (the parts of a hyphenated word are dropped, its whole form is kept). It runs in a tenant
 * transaction, so row-level security scopes it; the caller's filter is applied to the
 * candidates with the same evaluator the embedded index uses.
 */
import { ValidationError } from '../errors/errors.js';
import type { ScoredPoint } from './backend.js';
import type { Filter } from './filter.js';
import { matchesFilter } from './filter-evaluator.js';
import type { TransactionRunner } from './outbox-relay.js';

/** Which legs a search runs. */
export const SEARCH_MODES = ['dense', 'lexical', 'hybrid'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** RRF's constant: ranks past the first few count little, as in the original paper (k = 60). */
export const RRF_K = 60;

/** Lexical candidates fetched per requested hit, before the caller's filter is applied. */
const LEXICAL_POOL = 4;

/** Weights of the two legs in the fusion; both 1 by default. */
export interface FusionWeights {
  dense?: number;
  lexical?: number;
}

const LEXICAL_SQL = `
WITH tokens AS (
  SELECT ord, alias, lexemes, count(*) FILTER (WHERE alias = 'blank') OVER (ORDER BY ord) AS word
    FROM ts_debug('simple', $3::text)
         WITH ORDINALITY AS t(alias, description, token, dictionaries, dictionary, lexemes, ord)
), words AS (
  SELECT string_agg(quote_literal(lexemes[1]), ' <-> ' ORDER BY ord) AS phrase
    FROM tokens
   WHERE alias <> 'blank' AND alias NOT LIKE 'hword\\_%part' AND cardinality(lexemes) > 0
   GROUP BY word
), q AS (
  SELECT to_tsquery('simple', string_agg('(' || phrase || ')', ' | ')) AS query FROM words
)
SELECT p.id::text AS id, p.payload,
       ts_rank_cd(jsonb_to_tsvector('simple'::regconfig, p.payload, '["string"]'::jsonb), q.query, 1) AS score
  FROM public.memory_points p, q
 WHERE p.tenant_id = $1 AND p.collection = $2
   AND jsonb_to_tsvector('simple'::regconfig, p.payload, '["string"]'::jsonb) @@ q.query
 ORDER BY score DESC, p.id
 LIMIT $4`;

/**
 * The lexical leg: the tenant's points of `physical` whose payload text matches `text`, best
 * first, at most `limit` after the caller's `filter` (the tenant is the SQL's condition and
 * row-level security's; PostgreSQL's payloads carry no tenant_id to filter on).
 */
export async function lexicalSearch(
  db: TransactionRunner,
  tenantId: string,
  physical: string,
  text: string,
  filter: Filter,
  limit: number,
): Promise<ScoredPoint[]> {
  const { rows } = await db.withTransaction(
    (tx) =>
      tx.query<{ id: string; payload: Record<string, unknown>; score: number }>(
        LEXICAL_SQL,
        [tenantId, physical, text, limit * LEXICAL_POOL],
        { operation: 'memory.search_lexical' },
      ),
    { tenantId, readOnly: true, operation: 'memory.search_lexical' },
  );
  return rows
    .filter((r) => matchesFilter(filter, { id: r.id, payload: r.payload }))
    .slice(0, limit)
    .map((r) => ({ id: r.id, score: Number(r.score), payload: r.payload }));
}

/** Checks the weights: finite, non-negative, not both zero. @throws ValidationError naming the weight. */
export function checkWeights(weights: FusionWeights | undefined): Required<FusionWeights> {
  const out = { dense: weights?.dense ?? 1, lexical: weights?.lexical ?? 1 };
  for (const [leg, w] of Object.entries(out)) {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 100) {
      throw new ValidationError(`weights.${leg}`, 'must be a number from 0 to 100');
    }
  }
  if (out.dense === 0 && out.lexical === 0)
    throw new ValidationError('weights', 'at least one weight must be above 0');
  return out;
}

/**
 * Weighted reciprocal rank fusion: each point scores Σ weight / (RRF_K + rank) over the legs that
 * returned it (rank from 1), best first; ties keep the dense leg's order. The score is the fused
 * one, not a cosine.
 */
export function fuseByRank(
  legs: ReadonlyArray<{ hits: readonly ScoredPoint[]; weight: number }>,
  limit: number,
): ScoredPoint[] {
  const fused = new Map<string, { point: ScoredPoint; score: number; first: number }>();
  let order = 0;
  for (const leg of legs) {
    leg.hits.forEach((point, i) => {
      const add = leg.weight / (RRF_K + i + 1);
      const seen = fused.get(point.id);
      if (seen === undefined) fused.set(point.id, { point, score: add, first: order++ });
      else {
        seen.score += add;
        // Keep the richer copy (the dense leg's may carry the vector).
        if (seen.point.vector === undefined && point.vector !== undefined) seen.point = point;
      }
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.first - b.first)
    .slice(0, limit)
    .map(({ point, score }) => ({ ...point, score }));
}
