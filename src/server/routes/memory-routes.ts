/**
 * Vector memory over HTTP: upsert, search, recent-by-session and delete. The tenant comes from the
 * key; the memory composes the tenant condition into every filter server-side, so a foreign
 * point id behaves exactly like an absent one.
 */
import type { FastifyInstance } from 'fastify';
import { COLLECTION_NAMES, type CollectionName } from '../../memory/collections.js';
import type { Filter } from '../../memory/filter.js';
import { type FusionWeights, SEARCH_MODES, type SearchMode } from '../../memory/hybrid-search.js';
import type { MemoryHit, MemorySearch, MemoryWriter } from '../../memory/memory.js';
import type { SearchOptions, SearchQuery } from '../../memory/memory-search.js';
import type { MemoryPointInput } from '../../memory/point-input.js';
import type { HttpLimits } from '../limits.js';
import {
  checkBatch,
  notFound,
  principalOf,
  queryInt,
  SMALL_INT_QUERY,
  UUID_SCHEMA,
} from './route-helpers.js';

const COLLECTION_PARAMS = {
  type: 'object',
  required: ['collection'],
  properties: { collection: { type: 'string', enum: [...COLLECTION_NAMES] } },
} as const;

const FILTER_SCHEMA = {
  type: 'object',
  description: 'Qdrant-style filter (must / should / must_not).',
} as const;

function hitJson(hit: MemoryHit) {
  return hit.vector === undefined ? hit : { ...hit, vector: Array.from(hit.vector) };
}

/**
 * Replaces `text` by its embedding, so callers without an embedding model can use the memory. The
 * memory's own embedder is used: the one the composition root built from EMBEDDING_URL.
 */
async function withVectors<T extends { vector?: number[]; text?: string }>(
  items: T[],
  memory: Pick<MemorySearch, 'embed'>,
): Promise<Array<Omit<T, 'text'> & { vector: ArrayLike<number> }>> {
  const texts = items.flatMap((item) =>
    item.vector === undefined && item.text !== undefined ? [item.text] : [],
  );
  const vectors = texts.length === 0 ? [] : await memory.embed(texts);
  let next = 0;
  return items.map(({ text: _text, ...rest }) => ({
    ...rest,
    vector: rest.vector ?? (vectors[next++] as Float32Array),
  }));
}

/** Tenant-scoped routes: they need the memory's writes and reads, never its administration. */
export function memoryRoutes(
  app: FastifyInstance,
  memory: MemoryWriter & MemorySearch,
  limits: HttpLimits,
): void {
  const tags = ['memory'];
  const security = [{ apiKey: [] }];
  const vectorOrText = { oneOf: [{ required: ['vector'] }, { required: ['text'] }] } as const;
  const textSchema = { type: 'string', minLength: 1, maxLength: limits.textChars } as const;

  app.post<{
    Params: { collection: CollectionName };
    Body: { points: Array<Omit<MemoryPointInput, 'vector'> & { vector?: number[]; text?: string }> };
  }>(
    '/v1/memory/:collection/points',
    {
      config: { scope: 'memory:write' },
      schema: {
        tags,
        security,
        // Point ids are derived from (collection, tenant, key): a caller-chosen raw id could name
        // another tenant's point in a backend whose ids are global (Qdrant, the embedded index).
        summary: `Upsert points (vector + payload); the id is derived from the tenant and the natural key, so retries are idempotent. At most ${limits.upsertPoints} per request (413 beyond).`,
        params: COLLECTION_PARAMS,
        body: {
          type: 'object',
          required: ['points'],
          additionalProperties: false,
          properties: {
            points: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                required: ['key'],
                ...vectorOrText,
                additionalProperties: false,
                properties: {
                  key: {
                    type: 'array',
                    minItems: 1,
                    maxItems: 16,
                    items: { anyOf: [{ type: 'string', maxLength: limits.idChars }, { type: 'integer' }] },
                  },
                  vector: { type: 'array', items: { type: 'number' } },
                  text: textSchema,
                  payload: { type: 'object' },
                },
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      checkBatch('points', req.body.points, limits.upsertPoints);
      const points = await withVectors(req.body.points, memory);
      const result = await memory.upsert(principalOf(req).tenantId, req.params.collection, points);
      return reply.code(200).send(result);
    },
  );

  app.post<{
    Params: { collection: CollectionName };
    Body: {
      vector?: number[];
      text?: string;
      filter?: unknown;
      limit?: number;
      scoreThreshold?: number;
      mmr?: boolean | { lambda?: number; poolMultiplier?: number };
      withVector?: boolean;
      mode?: SearchMode;
      weights?: FusionWeights;
    };
  }>(
    '/v1/memory/:collection/search',
    {
      config: { scope: 'memory:read' },
      schema: {
        tags,
        security,
        summary:
          'Search within the caller’s tenant: dense (vector, with optional score threshold and MMR), lexical (the text’s words) or hybrid (both, fused by reciprocal rank), with an optional filter.',
        params: COLLECTION_PARAMS,
        body: {
          type: 'object',
          // Both only with mode hybrid: the search itself refuses both otherwise, naming `vector`.
          anyOf: vectorOrText.oneOf,
          additionalProperties: false,
          properties: {
            vector: { type: 'array', items: { type: 'number' } },
            text: textSchema,
            filter: FILTER_SCHEMA,
            limit: { type: 'integer', minimum: 1, maximum: limits.searchTopK },
            scoreThreshold: { type: 'number', minimum: -1, maximum: 1 },
            mmr: {
              anyOf: [
                { type: 'boolean' },
                {
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    lambda: { type: 'number', minimum: 0, maximum: 1 },
                    poolMultiplier: { type: 'number', minimum: 1, maximum: 20 },
                  },
                },
              ],
            },
            withVector: { type: 'boolean' },
            mode: { type: 'string', enum: [...SEARCH_MODES] },
            weights: {
              type: 'object',
              additionalProperties: false,
              properties: {
                dense: { type: 'number', minimum: 0, maximum: 100 },
                lexical: { type: 'number', minimum: 0, maximum: 100 },
              },
            },
          },
        },
      },
    },
    async (req) => {
      const b = req.body;
      const mode = b.mode ?? 'dense';
      // Dense search of a text embeds it here (the memory's model); the other modes need the text.
      const query =
        mode === 'dense' && !(b.vector !== undefined && b.text !== undefined)
          ? (await withVectors([{ vector: b.vector, text: b.text }], memory))[0]!
          : { vector: b.vector, text: b.text };
      // The union of query shapes is checked at run time by search (one of vector/text, both only
      // for hybrid), with errors naming the field.
      const hits = await memory.search(principalOf(req).tenantId, req.params.collection, {
        ...(query as SearchQuery),
        mode,
        ...(b.weights === undefined ? {} : { weights: b.weights }),
        // The body's filter is checked inside search (parseFilter), with errors naming its field.
        ...(b.filter === undefined ? {} : { filter: b.filter as Filter }),
        ...(b.limit === undefined ? {} : { limit: b.limit }),
        ...(b.scoreThreshold === undefined ? {} : { scoreThreshold: b.scoreThreshold }),
        ...(b.mmr === undefined ? {} : { mmr: b.mmr }),
        ...(b.withVector === undefined ? {} : { withVector: b.withVector }),
      } as SearchOptions);
      return { hits: hits.map(hitJson) };
    },
  );

  app.get<{ Params: { collection: CollectionName; sessionId: string }; Querystring: { limit?: string } }>(
    '/v1/memory/:collection/sessions/:sessionId/recent',
    {
      config: { scope: 'memory:read' },
      schema: {
        tags,
        security,
        summary: 'The most recent points of a session, newest first (by payload timestamp).',
        params: {
          type: 'object',
          required: ['collection', 'sessionId'],
          properties: {
            ...COLLECTION_PARAMS.properties,
            sessionId: { type: 'string', minLength: 1, maxLength: limits.idChars },
          },
        },
        querystring: { type: 'object', additionalProperties: false, properties: { limit: SMALL_INT_QUERY } },
      },
    },
    async (req) => {
      const limit = queryInt(req.query.limit) ?? 5;
      const hits = await memory.recentBySession(
        principalOf(req).tenantId,
        req.params.collection,
        req.params.sessionId,
        Math.min(limit, limits.searchTopK) || 1,
      );
      return { hits: hits.map(hitJson) };
    },
  );

  app.delete<{ Params: { collection: CollectionName; id: string } }>(
    '/v1/memory/:collection/points/:id',
    {
      config: { scope: 'memory:write' },
      schema: {
        tags,
        security,
        summary: 'Delete one point; 404 when it does not exist in the caller’s tenant.',
        params: {
          type: 'object',
          required: ['collection', 'id'],
          properties: { ...COLLECTION_PARAMS.properties, id: UUID_SCHEMA },
        },
      },
    },
    async (req, reply) => {
      const deleted = await memory.delete(principalOf(req).tenantId, req.params.collection, [req.params.id]);
      if (deleted === 0) throw notFound('point');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { collection: CollectionName }; Body: { ids?: string[]; filter?: unknown } }>(
    '/v1/memory/:collection/points/delete',
    {
      config: { scope: 'memory:write' },
      schema: {
        tags,
        security,
        summary: 'Delete the caller’s points by ids or by filter; answers how many were deleted.',
        params: COLLECTION_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
          properties: {
            ids: { type: 'array', minItems: 1, items: UUID_SCHEMA },
            filter: { ...FILTER_SCHEMA, minProperties: 1 },
          },
        },
      },
    },
    async (req) => {
      const tenantId = principalOf(req).tenantId;
      if (req.body.ids !== undefined) {
        checkBatch('ids', req.body.ids, limits.upsertPoints);
        return { deleted: await memory.delete(tenantId, req.params.collection, req.body.ids) };
      }
      // Checked inside deleteByFilter (parseFilter), as every filter from outside is.
      return {
        deleted: await memory.deleteByFilter(tenantId, req.params.collection, req.body.filter as Filter),
      };
    },
  );
}
