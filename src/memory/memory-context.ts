/**
 * What the memory's parts (writer, search, admin) share: the backend, the embedder, the version
 * pointers, the relay, and the lazy start-up. Writes need only PostgreSQL (the versions); reads
 * need the index collections. Both start-up steps are retried after a failure, so an index that is
 * down at start-up never blocks writes (they wait in the outbox).
 */
import type { Config } from '../config/config.js';
import { ValidationError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { BootstrapResult, VectorBackend } from './backend.js';
import { type CollectionVersion, CollectionVersions } from './collection-versions.js';
import {
  COLLECTION_NAMES,
  type CollectionDefinition,
  type CollectionName,
  collectionRegistry,
  isCollectionName,
} from './collections.js';
import { EmbeddedBackend } from './embedded/embedded-backend.js';
import type { Embedder } from './embedder/embedder.js';
import { isTenantId } from './filter.js';
import { IndexFollower } from './index-follower.js';
import { OutboxRelay, type TransactionRunner } from './outbox-relay.js';
import { DEFAULT_RECALL_SAMPLE_RATE, RecallSampler } from './recall-sampler.js';

export interface MemoryContextOptions {
  db: TransactionRunner;
  config: Pick<Config, 'vectorDimension'> & Partial<Pick<Config, 'memoryRecallSampleRate'>>;
  metrics?: Metrics | undefined;
  backend: VectorBackend;
  embedder: Embedder;
  /** Start the background relay on first use (default true). */
  startRelay?: boolean | undefined;
  relayIntervalMs?: number | undefined;
  relayRetryBaseMs?: number | undefined;
}

/** Internal to `src/memory/`: the state and start-up steps the memory's parts share. */
export interface MemoryContext {
  readonly db: TransactionRunner;
  readonly metrics: Metrics | undefined;
  readonly backend: VectorBackend;
  readonly embedder: Embedder;
  readonly versions: CollectionVersions;
  readonly relay: OutboxRelay;
  /** Re-runs a share of live searches exactly and records their recall. */
  readonly recall: RecallSampler;
  /** The registry definition of a collection. @throws ValidationError when the name is unknown. */
  definition(collection: unknown): CollectionDefinition;
  /** @throws ValidationError when the tenant id is not a UUID. */
  requireTenant(tenantId: string): void;
  /** Loads the versions and creates the index collections (once), then starts the relay. */
  init(): Promise<void>;
  /** The first call bootstraps; later calls re-run the bootstrap and report what it changed. */
  bootstrap(): Promise<BootstrapResult[]>;
  /** The active version; `needsIndex: false` (writes) loads the versions only. */
  activeVersion(collection: CollectionName, needsIndex?: boolean): Promise<CollectionVersion>;
  /** Stops the relay, waits for a bootstrap in flight and closes the backend. */
  close(): Promise<void>;
}

export function createMemoryContext(options: MemoryContextOptions): MemoryContext {
  const { db, config, backend } = options;
  const registry = collectionRegistry(config.vectorDimension);
  const versions = new CollectionVersions(db);
  const relay = new OutboxRelay({
    db,
    backend,
    metrics: options.metrics,
    logicalName: (physical) => versions.logicalOf(physical),
    intervalMs: options.relayIntervalMs,
    retryBaseMs: options.relayRetryBaseMs,
    // Deliveries need the index collections; bootstrap is retried on every pass until it succeeds.
    prepare: () => ensureIndex(),
  });
  // An embedded index is this process's own: it follows the outbox itself, so instances sharing
  // the database converge (the relay feeds only the index of the process holding its lock).
  const follower =
    backend instanceof EmbeddedBackend
      ? new IndexFollower({
          db,
          backend,
          intervalMs: options.relayIntervalMs,
          // A failed pass is retried at the next interval from the same cursor; counted, not lost.
          onError: () => options.metrics?.memoryFollowerErrors.inc(),
        })
      : undefined;
  const recall = new RecallSampler(
    backend,
    config.memoryRecallSampleRate ?? DEFAULT_RECALL_SAMPLE_RATE,
    options.metrics,
  );
  let versionsReady: Promise<void> | undefined;
  let indexReady: Promise<BootstrapResult[]> | undefined;
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

  async function runBootstrap(): Promise<BootstrapResult[]> {
    await ensureVersions();
    // Before the index loads the points, so nothing committed meanwhile is missed.
    await follower?.begin();
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

  function ensureIndex(): Promise<BootstrapResult[]> {
    indexReady ??= runBootstrap().catch((error: unknown) => {
      indexReady = undefined;
      throw error;
    });
    return indexReady;
  }

  function startRelay(): void {
    if (options.startRelay !== false && !closed) {
      relay.start();
      // Reads nothing before the bootstrap took its horizon, and waits for collections still loading.
      follower?.start();
    }
  }

  async function init(): Promise<void> {
    await ensureIndex();
    startRelay();
  }

  return {
    db,
    metrics: options.metrics,
    backend,
    embedder: options.embedder,
    versions,
    relay,
    recall,
    definition,
    requireTenant(tenantId) {
      if (!isTenantId(tenantId)) throw new ValidationError('tenantId', 'must be a tenant UUID');
    },
    init,
    async bootstrap() {
      if (indexReady === undefined) {
        const results = await ensureIndex();
        startRelay();
        return results;
      }
      await init();
      return runBootstrap();
    },
    async activeVersion(collection, needsIndex = true) {
      if (needsIndex) await init();
      else {
        await ensureVersions();
        startRelay();
      }
      const active = versions.active(collection);
      if (active === undefined)
        throw new ValidationError('collection', `${collection} has no active version`);
      return active;
    },
    async close() {
      closed = true;
      await relay.stop();
      await follower?.stop();
      await indexReady?.catch(() => undefined);
      await recall.settle();
      await backend.close();
    },
  };
}
