/**
 * The vector memory: writes go to PostgreSQL (point + outbox row, in the caller's transaction when
 * given) and reach the index through the relay; searches compose the tenant filter server-side,
 * query the backend, apply the score threshold and optional MMR.
 */
import type { Config } from '../config/config.js';
import { DatabaseError, ShannonError, ValidationError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { Queryable } from '../postgres/queryable.js';
import type { BootstrapResult, IndexedPoint, ScoredPoint, VectorBackend } from './backend.js';
import { type CollectionVersion, CollectionVersions } from './collection-versions.js';
import {
  COLLECTION_NAMES,
  type CollectionDefinition,
  type CollectionName,
  collectionRegistry,
  isCollectionName,
} from './collections.js';
import { EmbeddedBackend } from './embedded/embedded-backend.js';
import { createEmbedder, type EmbedderConfig } from './embedder/create-embedder.js';
import type { Embedder } from './embedder/embedder.js';
import { composeFilter, type Filter, isTenantId, leafConditions, parseFilter } from './filter.js';
import { matchesFilter } from './filter-evaluator.js';
import { COLLECTION_POINTS_PAGE, COUNT_POINTS } from './memory-queries.js';
import { mmrRerank } from './mmr.js';
import { changeModel, type ReEmbed } from './model-change.js';
import { OutboxRelay, type TransactionRunner, toIndexedPoint } from './outbox-relay.js';
import { type MemoryPointInput, preparePoints, validatePayload } from './point-input.js';
import { deletePoints, tenantPoints, updatePayload, upsertPoints } from './point-store.js';
import { QdrantBackend } from './qdrant/qdrant-backend.js';
import { type ReconcileReport, rebuildCollection, reconcileCollection } from './reconcile.js';
import { validateVector } from './vector.js';

export const DEFAULT_SEARCH_LIMIT = 5;
export const MAX_SEARCH_LIMIT = 1000;

/** Options of a vector search. */
export interface SearchOptions {
  vector: ArrayLike<number>;
  /** Caller filter (Qdrant subset); reserved keys are rejected; the tenant condition is added. */
  filter?: unknown;
  /** Top-k, default 5, at most 1000. */
  limit?: number;
  /** Minimum cosine score of a hit. */
  scoreThreshold?: number;
  /** MMR: true uses the collection's defaults; an object overrides lambda / pool multiplier. */
  mmr?: boolean | { lambda?: number; poolMultiplier?: number };
  withVector?: boolean;
}

/** A search or scroll result. */
export interface MemoryHit {
  id: string;
  score: number;
  payload: Record<string, unknown>;
  vector?: Float32Array;
}

export interface WriteOptions {
  /** The caller's transaction (its tenant context must match); the point commits with the caller's rows. */
  tx?: Queryable;
}

export interface CreateMemoryOptions {
  db: TransactionRunner;
  config: Pick<Config, 'vectorDimension' | 'qdrantUrl' | 'qdrantApiKey' | 'dataDir'> &
    Partial<EmbedderConfig>;
  metrics?: Metrics;
  /** Overrides the embedder; by default from config (HTTP when embeddingUrl is set, else lexical hashing). */
  embedder?: Embedder;
  /** Overrides the backend (tests); by default Qdrant when qdrantUrl is set, else embedded. */
  backend?: VectorBackend;
  /** Start the background relay on first use (default true). */
  startRelay?: boolean;
  /** Embedded snapshots directory; default `<dataDir>`; null keeps the embedded index in memory. */
  snapshotDir?: string | null;
  relayIntervalMs?: number;
  relayRetryBaseMs?: number;
}

function hitOf(point: ScoredPoint, withVector: boolean): MemoryHit {
  const { tenant_id: _tenant, _version: _v, ...payload } = point.payload;
  const hit: MemoryHit = { id: point.id, score: point.score, payload };
  if (withVector && point.vector !== undefined) hit.vector = point.vector;
  return hit;
}

/** Pages of a physical collection's points from PostgreSQL (admin read, all tenants). */
export async function* loadCollectionPoints(
  db: Queryable,
  physical: string,
  pageSize = 2000,
): AsyncGenerator<IndexedPoint[]> {
  let after = '0';
  for (;;) {
    const page = await db.query<{
      tenant_id: string;
      id: string;
      key: string;
      vector: Buffer;
      payload: Record<string, unknown>;
      version: string;
    }>(COLLECTION_POINTS_PAGE, [physical, after, pageSize], { operation: 'memory.collection_points_page' });
    if (page.rows.length === 0) return;
    yield page.rows.map(toIndexedPoint);
    after = (page.rows[page.rows.length - 1] as { key: string }).key;
    if (page.rows.length < pageSize) return;
  }
}

/**
 * Ids are unique per collection across tenants (migration 0021: the index backends key points by
 * id alone). A caller-supplied id another tenant already uses is refused, without saying whose.
 */
function pointIdInUse(error: unknown, collection: string): ShannonError | undefined {
  const cause =
    error instanceof DatabaseError ? (error.cause as { constraint?: unknown } | undefined) : undefined;
  if (cause?.constraint !== 'memory_points_collection_id_key') return undefined;
  return new ShannonError('CONFLICT', `a point id is already in use in ${collection}; choose another id`, {
    field: 'points.id',
    cause: error,
  });
}

/** Creates the memory API. Initialisation (versions, collections, relay) runs on first use or `init()`. */
export function createMemory(options: CreateMemoryOptions) {
  const { db, config, metrics } = options;
  const registry = collectionRegistry(config.vectorDimension);
  const versions = new CollectionVersions(db);
  const snapshotDir = options.snapshotDir === null ? undefined : (options.snapshotDir ?? config.dataDir);
  const backend: VectorBackend =
    options.backend ??
    (config.qdrantUrl !== undefined
      ? new QdrantBackend({ url: config.qdrantUrl, apiKey: config.qdrantApiKey, metrics })
      : new EmbeddedBackend({
          dataDir: snapshotDir,
          loadPoints: (physical) => loadCollectionPoints(db, physical),
        }));
  let embedder = options.embedder;
  const relay = new OutboxRelay({
    db,
    backend,
    metrics,
    logicalName: (physical) => versions.logicalOf(physical),
    intervalMs: options.relayIntervalMs,
    retryBaseMs: options.relayRetryBaseMs,
    // Deliveries need the index collections; bootstrap is retried on every pass until it succeeds.
    prepare: () => ensureBackend(),
  });
  // Writes need only PostgreSQL (versions); searches need the index. Both retry after a failure,
  // so an index that is down at start-up never blocks writes (they wait in the outbox).
  let versionsReady: Promise<void> | undefined;
  let backendReady: Promise<BootstrapResult[]> | undefined;
  let closed = false;

  function definition(collection: unknown): CollectionDefinition {
    if (!isCollectionName(collection)) {
      throw new ValidationError('collection', `must be one of ${COLLECTION_NAMES.join(', ')}`);
    }
    return registry.get(collection) as CollectionDefinition;
  }

  function ensureVersions(): Promise<void> {
    versionsReady ??= versions.ensure(COLLECTION_NAMES, config.vectorDimension).catch((error: unknown) => {
      versionsReady = undefined;
      throw error;
    });
    return versionsReady;
  }

  async function bootstrap(): Promise<BootstrapResult[]> {
    await ensureVersions();
    const results = [];
    for (const version of versions.live()) {
      const def = { ...definition(version.collection), dimension: version.dimension };
      results.push(await backend.ensureCollection(version.physicalName, def));
      if (version.state === 'active' && backend.kind === 'qdrant') {
        await backend.setAlias(`${version.collection}_active`, version.physicalName);
      }
    }
    return results;
  }

  function ensureBackend(): Promise<BootstrapResult[]> {
    if (backendReady === undefined) {
      backendReady = bootstrap().catch((error: unknown) => {
        backendReady = undefined;
        throw error;
      });
    }
    return backendReady;
  }

  function startRelay(): void {
    if (options.startRelay !== false && !closed) relay.start();
  }

  async function init(): Promise<void> {
    await ensureBackend();
    startRelay();
  }

  async function activeVersion(collection: CollectionName, needsIndex = true): Promise<CollectionVersion> {
    if (needsIndex) await init();
    else {
      await ensureVersions();
      startRelay();
    }
    const active = versions.active(collection);
    if (active === undefined) throw new ValidationError('collection', `${collection} has no active version`);
    return active;
  }

  async function physicalOf(collection: CollectionName, needsIndex = true): Promise<string> {
    return (await activeVersion(collection, needsIndex)).physicalName;
  }

  function requireTenant(tenantId: string): void {
    if (!isTenantId(tenantId)) throw new ValidationError('tenantId', 'must be a tenant UUID');
  }

  async function write<T>(
    tenantId: string,
    options: WriteOptions,
    fn: (q: Queryable) => Promise<T>,
  ): Promise<T> {
    return options.tx !== undefined
      ? fn(options.tx)
      : db.withTransaction(fn, { tenantId, operation: 'memory.write' });
  }

  const memory = {
    registry,
    backend,
    relay,
    versions,

    /** Creates missing collections / payload indexes and starts the relay. Idempotent. */
    async init(): Promise<void> {
      await init();
    },

    /** Re-runs collection bootstrap (the CLI's `collections init`), returning what changed. */
    async bootstrap(): Promise<BootstrapResult[]> {
      if (backendReady === undefined) {
        const results = await ensureBackend();
        startRelay();
        return results;
      }
      await init();
      return bootstrap();
    },

    /**
     * Stores points (vector + payload) and queues them for the index; ids derive from natural keys.
     * @throws ValidationError naming the field; nothing is stored when any point is invalid.
     */
    async upsert(
      tenantId: string,
      collection: CollectionName,
      points: readonly MemoryPointInput[],
      options: WriteOptions = {},
    ): Promise<{ ids: string[]; changed: number }> {
      requireTenant(tenantId);
      definition(collection);
      const active = await activeVersion(collection, false);
      const prepared = preparePoints(collection, tenantId.toLowerCase(), points, active.dimension);
      const physical = active.physicalName;
      const started = performance.now();
      try {
        const changed = await write(tenantId, options, (q) =>
          upsertPoints(q, tenantId, physical, prepared),
        ).catch((error: unknown) => {
          throw pointIdInUse(error, collection) ?? error;
        });
        metrics?.memoryUpsertDuration.observe(
          { collection, outcome: 'ok' },
          (performance.now() - started) / 1000,
        );
        metrics?.memoryPointsWritten.inc({ collection, op: 'upsert' }, changed);
        return { ids: prepared.map((p) => p.id), changed };
      } catch (error) {
        metrics?.memoryUpsertDuration.observe(
          { collection, outcome: 'error' },
          (performance.now() - started) / 1000,
        );
        throw error;
      }
    },

    /** Deletes points by id; returns how many existed. */
    async delete(
      tenantId: string,
      collection: CollectionName,
      ids: readonly string[],
      options: WriteOptions = {},
    ) {
      requireTenant(tenantId);
      definition(collection);
      const filter = parseFilter({ must: [{ has_id: ids }] }, undefined, 'ids');
      const checked = (filter.must?.[0] as { has_id: string[] } | undefined)?.has_id ?? [];
      const physical = await physicalOf(collection, false);
      const n = await write(tenantId, options, (q) => deletePoints(q, tenantId, physical, checked));
      metrics?.memoryPointsWritten.inc({ collection, op: 'delete' }, n);
      return n;
    },

    /** Deletes the tenant's points matching a filter, evaluated on PostgreSQL's payloads (the truth). */
    async deleteByFilter(tenantId: string, collection: CollectionName, filter: unknown): Promise<number> {
      requireTenant(tenantId);
      definition(collection);
      const parsed = parseFilter(filter);
      // An empty filter (`{"must": []}`, or clauses holding only empty filters) matches every
      // point; a delete by filter must say what it deletes.
      if (leafConditions(parsed) === 0)
        throw new ValidationError('filter', 'a delete filter needs at least one condition');
      const composed = composeFilter(tenantId, parsed);
      const physical = await physicalOf(collection, false);
      const n = await db.withTransaction(
        async (tx) => {
          const ids: string[] = [];
          for await (const page of tenantPoints(tx, tenantId, physical)) {
            for (const p of page) {
              if (
                matchesFilter(composed, {
                  id: p.id,
                  payload: { ...p.payload, tenant_id: tenantId.toLowerCase() },
                })
              ) {
                ids.push(p.id);
              }
            }
          }
          let deleted = 0;
          for (let i = 0; i < ids.length; i += 1000)
            deleted += await deletePoints(tx, tenantId, physical, ids.slice(i, i + 1000));
          return deleted;
        },
        { tenantId, operation: 'memory.delete_by_filter' },
      );
      metrics?.memoryPointsWritten.inc({ collection, op: 'delete' }, n);
      return n;
    },

    /** Merges keys into a point's payload. */
    async updatePayload(
      tenantId: string,
      collection: CollectionName,
      id: string,
      patch: Record<string, unknown>,
      options: WriteOptions = {},
    ): Promise<boolean> {
      requireTenant(tenantId);
      definition(collection);
      if (!isTenantId(id)) throw new ValidationError('id', 'must be a UUID');
      const merged = validatePayload(patch, 'patch');
      const physical = await physicalOf(collection, false);
      const ok = await write(tenantId, options, (q) =>
        updatePayload(q, tenantId, physical, id.toLowerCase(), merged),
      );
      if (ok) metrics?.memoryPointsWritten.inc({ collection, op: 'payload' });
      return ok;
    },

    /** Vector search with the tenant filter always applied, score threshold and optional MMR. */
    async search(tenantId: string, collection: CollectionName, options: SearchOptions): Promise<MemoryHit[]> {
      requireTenant(tenantId);
      const def = definition(collection);
      const active = await activeVersion(collection);
      const vector = validateVector(options.vector, active.dimension, 'vector');
      const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
        throw new ValidationError('limit', `must be an integer between 1 and ${MAX_SEARCH_LIMIT}`);
      }
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
        const candidates = await backend.search(physical, {
          vector,
          filter,
          limit:
            mmr === undefined ? limit : Math.min(MAX_SEARCH_LIMIT, limit * Math.ceil(mmr.poolMultiplier)),
          ...(threshold === undefined ? {} : { scoreThreshold: threshold }),
          withVector: mmr !== undefined || options.withVector === true,
        });
        const ordered =
          mmr === undefined
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

    /** The most recent points of a session, ordered by payload `timestamp` (true recency, W24). */
    async recentBySession(
      tenantId: string,
      collection: CollectionName,
      sessionId: string,
      limit = DEFAULT_SEARCH_LIMIT,
      extraFilter?: unknown,
    ): Promise<MemoryHit[]> {
      requireTenant(tenantId);
      definition(collection);
      if (typeof sessionId !== 'string' || sessionId === '')
        throw new ValidationError('sessionId', 'must be a non-empty string');
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
        throw new ValidationError('limit', `must be an integer between 1 and ${MAX_SEARCH_LIMIT}`);
      }
      const filter = composeFilter(tenantId, parseFilter(extraFilter), [
        { key: 'session_id', match: { value: sessionId } },
      ]);
      const physical = await physicalOf(collection);
      const points = await backend.scroll(physical, {
        filter,
        limit,
        orderBy: { key: 'timestamp', direction: 'desc' },
      });
      return points.map((p) => hitOf(p, false));
    },

    /** Number of the tenant's indexed points matching a filter. */
    async count(tenantId: string, collection: CollectionName, filter?: unknown): Promise<number> {
      requireTenant(tenantId);
      definition(collection);
      const composed = composeFilter(tenantId, parseFilter(filter));
      return backend.count(await physicalOf(collection), composed);
    },

    /** Compares PostgreSQL with the index (all live collections, or one) and optionally repairs. */
    async reconcile(
      collection?: CollectionName,
      options: { repair?: boolean } = {},
    ): Promise<ReconcileReport[]> {
      await init();
      if (collection !== undefined) definition(collection);
      const reports: ReconcileReport[] = [];
      for (const v of versions
        .live()
        .filter((x) => collection === undefined || x.collection === collection)) {
        reports.push(
          await reconcileCollection(db, backend, v.physicalName, { repair: options.repair === true }),
        );
      }
      if (options.repair === true) await relay.drain({ force: true });
      return reports;
    },

    /** Recreates the index of a collection (its live versions) from PostgreSQL. */
    async rebuild(collection: CollectionName): Promise<Array<{ collection: string; points: number }>> {
      const def = definition(collection);
      await init();
      const out = [];
      for (const v of versions.live().filter((x) => x.collection === collection)) {
        out.push(
          await rebuildCollection(
            backend,
            v.physicalName,
            { ...def, dimension: v.dimension },
            loadCollectionPoints(db, v.physicalName),
          ),
        );
      }
      return out;
    },

    /** Switches a collection to a new embedding model: new version, backfill, swap (see model-change.ts). */
    async changeModel(
      collection: CollectionName,
      options: { model: string; dimension: number; embed: ReEmbed },
    ) {
      const def = definition(collection);
      await init();
      return changeModel(
        { db, backend, versions, relay, load: (physical) => loadCollectionPoints(db, physical) },
        collection,
        def,
        options,
      );
    },

    /** Per collection: active version, source-of-truth count, index state; plus outbox depth and lag. */
    async status() {
      await init();
      const collections = [];
      for (const v of versions.live()) {
        const def = { ...definition(v.collection), dimension: v.dimension };
        const count = await db.query<{ n: string }>(COUNT_POINTS, [v.physicalName], {
          operation: 'memory.count_points',
        });
        collections.push({
          collection: v.collection,
          version: v.version,
          state: v.state,
          physicalName: v.physicalName,
          dimension: v.dimension,
          embeddingModel: v.embeddingModel,
          sourcePoints: Number(count.rows[0]?.n ?? 0),
          index: await backend.describe(v.physicalName, def),
        });
      }
      return { backend: backend.kind, outbox: await relay.refreshStats(), collections };
    },

    /** The configured embedder (created on first use). */
    get embedder(): Embedder {
      embedder ??= createEmbedder({ redisUrl: undefined, ...config }, metrics);
      return embedder;
    },

    /** Embeds texts with the configured embedder (cached). */
    embed(texts: readonly string[]): Promise<Float32Array[]> {
      return memory.embedder.embed(texts);
    },

    /** Delivers the outbox until empty (or timeout); returns the remaining depth. */
    async flush(options: { timeoutMs?: number; force?: boolean } = {}): Promise<number> {
      await init();
      return relay.drain(options);
    },

    /** Stops the relay, snapshots the embedded index and closes the backend. */
    async close(): Promise<void> {
      closed = true;
      await relay.stop();
      await backendReady?.catch(() => undefined);
      await backend.close();
      if (options.embedder === undefined) await embedder?.close();
    },
  };
  return memory;
}

/** The vector memory API returned by `createMemory`. */
export type Memory = ReturnType<typeof createMemory>;
