/**
 * The memory's reads: the tenant filter is composed server-side into every query, the backend is
 * asked, then the score threshold and optional MMR apply; a lexical or hybrid search also (or only)
 * matches the query's words in PostgreSQL and fuses the two rankings (src/memory/hybrid-search.ts).
 * Also the configured embedder, so callers that hold only text (the HTTP service) search with the
 * same model the composition root chose.
 */
import { ValidationError } from '../errors/errors.js';
import type { ScoredPoint } from './backend.js';
import type { CollectionName } from './collections.js';
import { composeFilter, type Filter, parseFilter } from './filter.js';
import {
  checkWeights,
  type FusionWeights,
  fuseByRank,
  lexicalSearch,
  SEARCH_MODES,
  type SearchMode,
} from './hybrid-search.js';
import type { MemoryContext } from './memory-context.js';
import { mmrRerank } from './mmr.js';
import { validateVector } from './vector.js';

export const DEFAULT_SEARCH_LIMIT = 5;
export const MAX_SEARCH_LIMIT = 1000;

/**
 * What a search looks for: a query vector, or a text (embedded with the memory's embedder for the
 * dense leg, matched word by word for the lexical one); a hybrid search may give both.
 */
export type SearchQuery =
  | { vector: ArrayLike<number>; text?: never }
  | { text: string; vector?: never }
  | { text: string; vector: ArrayLike<number>; mode: 'hybrid' };

/** Options of a vector search: the query (`vector` or `text`, exactly one) and how to rank it. */
export type SearchOptions = SearchQuery & {
  /**
   * Caller filter (Qdrant subset); reserved keys are rejected; the tenant condition is added. Typed
   * as `Filter`, and checked at run time all the same (a filter can come from an untrusted edge).
   */
  filter?: Filter;
  /** Top-k, default 5, at most 1000. */
  limit?: number;
  /** Minimum cosine score of a hit. */
  scoreThreshold?: number;
  /** MMR: true uses the collection's defaults; an object overrides lambda / pool multiplier. */
  mmr?: boolean | { lambda?: number; poolMultiplier?: number };
  withVector?: boolean;
  /**
   * `dense` (default): vector search. `lexical`: the text's words in the payload's strings
   * (PostgreSQL full-text). `hybrid`: both, fused by reciprocal rank; the score is then the fused
   * score. Score threshold and MMR apply to dense search only.
   */
  mode?: SearchMode;
  /** Weights of the dense and lexical legs in a hybrid search (default 1 and 1). */
  weights?: FusionWeights;
};

/** A search or scroll result. */
export interface MemoryHit {
  id: string;
  score: number;
  payload: Record<string, unknown>;
  vector?: Float32Array;
}

/** Reads of the vector memory; every call is scoped to one tenant, except `embed`. */
export interface MemorySearch {
  /**
   * Vector search with the tenant filter always applied, score threshold and optional MMR. A `text`
   * query is embedded first with the memory's embedder (the same model its points were written with).
   * @throws ValidationError naming the field (vector or text, vector dimension, limit 1–1000,
   * threshold −1–1, filter).
   */
  search(tenantId: string, collection: CollectionName, options: SearchOptions): Promise<MemoryHit[]>;
  /** The most recent points of a session, ordered by payload `timestamp` (true recency, W24); default 5. */
  recentBySession(
    tenantId: string,
    collection: CollectionName,
    sessionId: string,
    limit?: number,
    extraFilter?: Filter,
  ): Promise<MemoryHit[]>;
  /** Number of the tenant's indexed points matching a filter. */
  count(tenantId: string, collection: CollectionName, filter?: Filter): Promise<number>;
  /** Embeds texts with the embedder the memory was built with (EMBEDDING_URL, else lexical hashing). */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

function hitOf(point: ScoredPoint, withVector: boolean): MemoryHit {
  const { tenant_id: _tenant, _version: _v, ...payload } = point.payload;
  const hit: MemoryHit = { id: point.id, score: point.score, payload };
  if (withVector && point.vector !== undefined) hit.vector = point.vector;
  return hit;
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new ValidationError('limit', `must be an integer between 1 and ${MAX_SEARCH_LIMIT}`);
  }
}

function queryText(text: unknown): string {
  if (typeof text !== 'string' || text.trim() === '')
    throw new ValidationError('text', 'must be a non-empty string');
  return text;
}

/** The query as a vector of the collection's dimension: given, or the embedding of the text. */
async function queryVector(
  ctx: MemoryContext,
  query: SearchQuery,
  dimension: number,
  both = false,
): Promise<Float32Array> {
  const { vector, text } = query as { vector?: ArrayLike<number>; text?: unknown };
  if (vector === undefined && text === undefined)
    throw new ValidationError('vector', 'give a vector or a text');
  if (!both && vector !== undefined && text !== undefined) {
    throw new ValidationError('vector', 'give exactly one of vector or text (both only with mode hybrid)');
  }
  if (vector !== undefined) return validateVector(vector, dimension, 'vector');
  const [embedded] = await ctx.embedder.embed([queryText(text)]);
  return validateVector(embedded as Float32Array, dimension, 'text');
}

function checkMode(mode: unknown): SearchMode {
  if (mode === undefined) return 'dense';
  if (!SEARCH_MODES.includes(mode as SearchMode))
    throw new ValidationError('mode', `must be one of ${SEARCH_MODES.join(', ')}`);
  return mode as SearchMode;
}

/** Score threshold and MMR are cosine notions: refused outside dense search rather than ignored. */
function denseOnly(options: SearchOptions, mode: SearchMode): void {
  if (mode === 'dense') return;
  if (options.scoreThreshold !== undefined)
    throw new ValidationError('scoreThreshold', `applies to mode dense only, not ${mode}`);
  if (options.mmr !== undefined && options.mmr !== false)
    throw new ValidationError('mmr', `applies to mode dense only, not ${mode}`);
}

export function createMemorySearch(ctx: MemoryContext): MemorySearch {
  const { backend, metrics } = ctx;

  /** Lexical and hybrid searches; timed as backend `lexical` / `hybrid`. */
  async function otherModes(
    tenantId: string,
    collection: CollectionName,
    mode: 'lexical' | 'hybrid',
    options: SearchOptions,
  ): Promise<MemoryHit[]> {
    const active = await ctx.activeVersion(collection);
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    checkLimit(limit);
    const text = queryText((options as { text?: unknown }).text);
    if (mode === 'lexical' && (options as { vector?: unknown }).vector !== undefined) {
      throw new ValidationError('vector', 'a lexical search takes a text only');
    }
    const weights = mode === 'hybrid' ? checkWeights(options.weights) : undefined;
    // The lexical leg reads PostgreSQL's payloads, which hold no tenant_id (the index's copies do):
    // its tenant condition is the SQL's and row-level security's, and it gets the caller's filter.
    const callerFilter = parseFilter(options.filter);
    const filter: Filter = composeFilter(tenantId, callerFilter);
    const physical = active.physicalName;
    const withVector = options.withVector === true;
    const started = performance.now();
    let outcome = 'error';
    try {
      let hits: ScoredPoint[];
      if (weights === undefined)
        hits = await lexicalSearch(ctx.db, tenantId, physical, text, callerFilter, limit);
      else {
        const vector = await queryVector(ctx, options, active.dimension, true);
        // Each leg ranks a deeper pool than asked, so a point ranked well by one and poorly by
        // the other still meets in the fusion.
        const pool = Math.min(MAX_SEARCH_LIMIT, limit * 3);
        const [dense, lexical] = await Promise.all([
          weights.dense === 0
            ? []
            : backend.search(physical, { vector, filter, limit: pool, withVector, tenantId }),
          weights.lexical === 0 ? [] : lexicalSearch(ctx.db, tenantId, physical, text, callerFilter, pool),
        ]);
        hits = fuseByRank(
          [
            { hits: dense, weight: weights.dense },
            { hits: lexical, weight: weights.lexical },
          ],
          limit,
        );
      }
      outcome = 'ok';
      return hits.map((p) => hitOf(p, withVector));
    } finally {
      metrics?.memorySearchDuration.observe(
        { collection, backend: mode, outcome },
        (performance.now() - started) / 1000,
      );
    }
  }

  return {
    async search(tenantId, collection, options) {
      ctx.requireTenant(tenantId);
      const def = ctx.definition(collection);
      const mode = checkMode(options.mode);
      denseOnly(options, mode);
      if (mode !== 'dense') return otherModes(tenantId, collection, mode, options);
      const active = await ctx.activeVersion(collection);
      const vector = await queryVector(ctx, options, active.dimension);
      const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
      checkLimit(limit);
      const threshold = options.scoreThreshold;
      if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= -1 && threshold <= 1)) {
        throw new ValidationError('scoreThreshold', 'must be a number between -1 and 1');
      }
      const mmr =
        options.mmr === undefined || options.mmr === false
          ? undefined
          : { ...def.mmr, ...(options.mmr === true ? {} : options.mmr) };
      if (mmr !== undefined && !(mmr.poolMultiplier >= 1 && mmr.poolMultiplier <= 20)) {
        throw new ValidationError('mmr.poolMultiplier', 'must be between 1 and 20');
      }
      const filter: Filter = composeFilter(tenantId, parseFilter(options.filter));
      const physical = active.physicalName;
      const started = performance.now();
      let outcome = 'error';
      try {
        const pool =
          mmr === undefined ? limit : Math.min(MAX_SEARCH_LIMIT, limit * Math.ceil(mmr.poolMultiplier));
        // Where the index re-ranks by MMR itself (Qdrant ≥ 1.15), no vectors travel back for it.
        const serverMmr = mmr !== undefined && (await backend.supportsServerMmr?.()) === true;
        const request = {
          vector,
          filter,
          limit: serverMmr ? limit : pool,
          ...(threshold === undefined ? {} : { scoreThreshold: threshold }),
          withVector: (mmr !== undefined && !serverMmr) || options.withVector === true,
          tenantId,
          ...(serverMmr && mmr !== undefined ? { mmr: { lambda: mmr.lambda, candidates: pool } } : {}),
        };
        const candidates = await backend.search(physical, request);
        // Recall is the index's: measured on its own nearest-neighbour answer, so not on one the
        // server already re-ranked.
        if (!serverMmr) ctx.recall.offer(collection, physical, request, candidates);
        const ordered =
          mmr === undefined || serverMmr
            ? candidates
            : mmrRerank(
                vector,
                candidates.filter((c): c is ScoredPoint & { vector: Float32Array } => c.vector !== undefined),
                mmr.lambda,
                limit,
              );
        outcome = 'ok';
        return ordered.map((p) => hitOf(p, options.withVector === true));
      } finally {
        metrics?.memorySearchDuration.observe(
          { collection, backend: backend.kind, outcome },
          (performance.now() - started) / 1000,
        );
      }
    },

    async recentBySession(tenantId, collection, sessionId, limit = DEFAULT_SEARCH_LIMIT, extraFilter) {
      ctx.requireTenant(tenantId);
      ctx.definition(collection);
      if (typeof sessionId !== 'string' || sessionId === '')
        throw new ValidationError('sessionId', 'must be a non-empty string');
      checkLimit(limit);
      const filter = composeFilter(tenantId, parseFilter(extraFilter), [
        { key: 'session_id', match: { value: sessionId } },
      ]);
      const physical = (await ctx.activeVersion(collection)).physicalName;
      const points = await backend.scroll(physical, {
        filter,
        limit,
        orderBy: { key: 'timestamp', direction: 'desc' },
        tenantId,
      });
      return points.map((p) => hitOf(p, false));
    },

    async count(tenantId, collection, filter) {
      ctx.requireTenant(tenantId);
      ctx.definition(collection);
      const composed = composeFilter(tenantId, parseFilter(filter));
      return backend.count((await ctx.activeVersion(collection)).physicalName, composed, tenantId);
    },

    embed(texts) {
      return ctx.embedder.embed(texts);
    },
  };
}
