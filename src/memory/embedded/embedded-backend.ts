/**
 * The embedded index backend (default when QDRANT_URL is unset): one EmbeddedCollection per
 * physical collection, persisted under `<dataDir>/memory/<collection>` and caught up from the
 * PostgreSQL points at start-up, so a restart does not pay a full HNSW build.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ShannonError } from '../../errors/errors.js';
import type {
  BackendScrollRequest,
  BackendSearchRequest,
  BootstrapResult,
  CollectionState,
  IndexedPoint,
  IndexedVersion,
  ScoredPoint,
  VectorBackend,
} from '../backend.js';
import type { CollectionDefinition } from '../collections.js';
import type { Filter } from '../filter.js';
import {
  EmbeddedCollection,
  type EmbeddedCollectionOptions,
  type IncrementalSource,
} from './embedded-collection.js';

/** Snapshot a collection once this many changes accumulated (and on close). */
export const DEFAULT_SNAPSHOT_EVERY_CHANGES = 10_000;

export interface EmbeddedBackendOptions extends EmbeddedCollectionOptions {
  /** Directory for snapshots; undefined keeps everything in memory (tests). */
  dataDir: string | undefined;
  /** Pages of the current points of a physical collection, from PostgreSQL. */
  loadPoints: (physical: string) => AsyncIterable<IndexedPoint[]>;
  /**
   * With a snapshot on disk, the catch-up reads only ids, keys and versions from PostgreSQL and the
   * full rows of the points that changed (without it, every point is read again).
   */
  incremental?: (physical: string) => IncrementalSource;
  snapshotEveryChanges?: number;
}

/** In-process vector index over usearch. */
export class EmbeddedBackend implements VectorBackend {
  readonly kind = 'embedded' as const;
  private readonly options: EmbeddedBackendOptions;
  private readonly collections = new Map<string, EmbeddedCollection>();
  private readonly loading = new Map<string, Promise<BootstrapResult>>();

  constructor(options: EmbeddedBackendOptions) {
    this.options = options;
  }

  private dir(physical: string): string | undefined {
    return this.options.dataDir === undefined ? undefined : join(this.options.dataDir, 'memory', physical);
  }

  private get(physical: string): EmbeddedCollection {
    const collection = this.collections.get(physical);
    if (collection === undefined) {
      throw new ShannonError(
        'VECTOR_BACKEND_FAILED',
        `collection ${physical} is not initialised; run collections init`,
        {
          details: { collection: physical },
        },
      );
    }
    return collection;
  }

  ensureCollection(physical: string, definition: CollectionDefinition): Promise<BootstrapResult> {
    if (this.collections.has(physical)) {
      return Promise.resolve({ collection: physical, created: false, addedPayloadIndexes: [] });
    }
    const pending = this.loading.get(physical);
    if (pending !== undefined) return pending;
    const load = (async () => {
      const collection = new EmbeddedCollection(definition, this.options);
      await collection.load(
        this.dir(physical),
        this.options.loadPoints(physical),
        this.options.incremental?.(physical),
      );
      this.collections.set(physical, collection);
      this.maybeSnapshot(physical, collection, 1);
      return { collection: physical, created: true, addedPayloadIndexes: [] };
    })().finally(() => this.loading.delete(physical));
    this.loading.set(physical, load);
    return load;
  }

  /** Whether a collection is held in this process, still loading, or not here at all. */
  collectionState(physical: string): 'ready' | 'loading' | 'absent' {
    if (this.collections.has(physical)) return 'ready';
    return this.loading.has(physical) ? 'loading' : 'absent';
  }

  async dropCollection(physical: string): Promise<void> {
    this.collections.delete(physical);
    const dir = this.dir(physical);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }

  private maybeSnapshot(physical: string, collection: EmbeddedCollection, threshold?: number): void {
    const dir = this.dir(physical);
    const every = threshold ?? this.options.snapshotEveryChanges ?? DEFAULT_SNAPSHOT_EVERY_CHANGES;
    if (dir !== undefined && collection.dirty >= every) collection.saveSnapshot(dir);
  }

  async upsert(physical: string, points: readonly IndexedPoint[]): Promise<void> {
    const collection = this.get(physical);
    collection.upsert(points);
    this.maybeSnapshot(physical, collection);
  }

  async delete(physical: string, ids: readonly string[]): Promise<void> {
    const collection = this.get(physical);
    collection.delete(ids);
    this.maybeSnapshot(physical, collection);
  }

  async search(physical: string, request: BackendSearchRequest): Promise<ScoredPoint[]> {
    return this.get(physical).search(request);
  }

  async scroll(physical: string, request: BackendScrollRequest): Promise<ScoredPoint[]> {
    return this.get(physical).scroll(request);
  }

  async count(physical: string, filter: Filter): Promise<number> {
    return this.get(physical).count(filter);
  }

  async *listVersions(physical: string): AsyncIterable<IndexedVersion[]> {
    yield this.get(physical).versionsList();
  }

  async describe(physical: string, definition: CollectionDefinition): Promise<CollectionState> {
    const collection = this.collections.get(physical);
    if (collection === undefined) {
      return {
        collection: physical,
        exists: false,
        points: 0,
        indexedVectors: 0,
        status: 'missing',
        payloadIndexes: [],
        missingPayloadIndexes: definition.payloadIndexes.map((p) => p.field),
        drift: [],
      };
    }
    const drift = collection.definition.dimension === definition.dimension ? [] : ['dimension'];
    return {
      collection: physical,
      exists: true,
      points: collection.size,
      indexedVectors: collection.indexedVectors,
      status: collection.indexedVectors === collection.size ? 'green' : 'yellow',
      // Filters are evaluated on in-memory payloads; every field is "indexed".
      payloadIndexes: definition.payloadIndexes.map((p) => p.field),
      missingPayloadIndexes: [],
      drift,
    };
  }

  /** The alias of the embedded backend is the active row of memory_collection_versions; nothing to do here. */
  async setAlias(): Promise<void> {}

  /** Snapshots every collection with unsaved changes. */
  snapshotAll(): void {
    for (const [physical, collection] of this.collections) this.maybeSnapshot(physical, collection, 1);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.loading.values());
    this.snapshotAll();
    this.collections.clear();
  }
}
