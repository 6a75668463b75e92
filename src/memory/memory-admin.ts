/**
 * Administration of the vector memory, across tenants: bootstrap, status, reconciliation with
 * PostgreSQL, rebuilds, model changes and draining the outbox. Callers outside `src/memory/` learn
 * the backend and the collection versions here rather than from the memory's internals.
 */
import type { BootstrapResult, CollectionState, VectorBackend } from './backend.js';
import { loadCollectionPoints } from './collection-points.js';
import type { CollectionVersion } from './collection-versions.js';
import type { CollectionName } from './collections.js';
import type { MemoryContext } from './memory-context.js';
import { COUNT_POINTS } from './memory-queries.js';
import { changeModel, type ModelChangeResult, type ReEmbed } from './model-change.js';
import type { RelayPassResult } from './outbox-relay.js';
import { type ReconcileReport, rebuildCollection, reconcileCollection } from './reconcile.js';

/** The backend and the live collection versions as currently loaded (no IO). */
export interface MemoryDescription {
  readonly backend: VectorBackend['kind'];
  /** Empty until the memory has started (first use or `init()`). */
  readonly collections: readonly CollectionVersion[];
}

/** One live collection version in `status()`. */
export interface CollectionStatus extends CollectionVersion {
  /** Points in PostgreSQL (the source of truth). */
  readonly sourcePoints: number;
  /** What the index backend holds. */
  readonly index: CollectionState;
}

/** `status()`: per live collection version, plus the outbox. */
export interface MemoryStatus {
  readonly backend: VectorBackend['kind'];
  readonly outbox: { depth: number; lagSeconds: number };
  readonly collections: CollectionStatus[];
}

/** Operator actions on the memory; they span every tenant. */
export interface MemoryAdmin {
  /** Re-runs collection bootstrap (the CLI's `collections init`), returning what changed. */
  bootstrap(): Promise<BootstrapResult[]>;
  /** Per collection: active version, source-of-truth count, index state; plus outbox depth and lag. */
  status(): Promise<MemoryStatus>;
  /** The backend kind and live versions, synchronously, without starting anything (dashboards). */
  describe(): MemoryDescription;
  /** The active version of a collection as loaded (undefined before the memory has started). */
  activeVersion(collection: CollectionName): CollectionVersion | undefined;
  /** Compares PostgreSQL with the index (all live collections, or one) and optionally repairs. */
  reconcile(collection?: CollectionName, options?: { repair?: boolean }): Promise<ReconcileReport[]>;
  /** Recreates the index of a collection (its live versions) from PostgreSQL. */
  rebuild(collection: CollectionName): Promise<Array<{ collection: string; points: number }>>;
  /** Switches a collection to a new embedding model: new version, backfill, swap (see model-change.ts). */
  changeModel(
    collection: CollectionName,
    options: { model: string; dimension: number; embed: ReEmbed },
  ): Promise<ModelChangeResult>;
  /** Delivers the outbox until empty (or timeout, default 30 s); returns the remaining depth. */
  flush(options?: { timeoutMs?: number; force?: boolean }): Promise<number>;
  /** Runs one relay pass now (what the background relay does on each tick), e.g. to observe a failure. */
  deliverOnce(): Promise<RelayPassResult>;
}

export function createMemoryAdmin(ctx: MemoryContext): MemoryAdmin {
  const { db, backend, versions, relay } = ctx;

  return {
    bootstrap: () => ctx.bootstrap(),

    async status() {
      await ctx.init();
      const collections: CollectionStatus[] = [];
      for (const v of versions.live()) {
        const def = { ...ctx.definition(v.collection), dimension: v.dimension };
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

    describe() {
      return { backend: backend.kind, collections: versions.live() };
    },

    activeVersion(collection) {
      return versions.active(collection);
    },

    async reconcile(collection, options = {}) {
      await ctx.init();
      if (collection !== undefined) ctx.definition(collection);
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

    async rebuild(collection) {
      const def = ctx.definition(collection);
      await ctx.init();
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

    async changeModel(collection, options) {
      const def = ctx.definition(collection);
      await ctx.init();
      return changeModel(
        { db, backend, versions, relay, load: (physical) => loadCollectionPoints(db, physical) },
        collection,
        def,
        options,
      );
    },

    async flush(options = {}) {
      await ctx.init();
      return relay.drain(options);
    },

    deliverOnce: () => relay.runOnce(),
  };
}
