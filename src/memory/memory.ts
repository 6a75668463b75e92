/**
 * The vector memory: writes go to PostgreSQL (point + outbox row, in the caller's transaction when
 * given) and reach the index through the relay; searches compose the tenant filter server-side,
 * query the backend, apply the score threshold and optional MMR. The composition root chooses the
 * backend (`createVectorBackend`) and the embedder (`createEmbedder`) and hands both in.
 */
import type { Config } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import type { VectorBackend } from './backend.js';
import type { Embedder } from './embedder/embedder.js';
import { createMemoryAdmin, type MemoryAdmin } from './memory-admin.js';
import { createMemoryContext } from './memory-context.js';
import { createMemorySearch, type MemorySearch } from './memory-search.js';
import { createMemoryWriter, type MemoryWriter } from './memory-writer.js';
import type { TransactionRunner } from './outbox-relay.js';

export { loadCollectionPoints } from './collection-points.js';
export type { CollectionStatus, MemoryAdmin, MemoryDescription, MemoryStatus } from './memory-admin.js';
export {
  DEFAULT_SEARCH_LIMIT,
  MAX_SEARCH_LIMIT,
  type MemoryHit,
  type MemorySearch,
  type SearchOptions,
  type SearchQuery,
} from './memory-search.js';
export type { MemoryWriter, WriteOptions } from './memory-writer.js';

/** Start-up and shutdown of the memory. */
export interface MemoryLifecycle {
  /** Creates missing collections / payload indexes and starts the relay. Idempotent. */
  init(): Promise<void>;
  /** Stops the relay, snapshots the embedded index and closes the backend (not the embedder). */
  close(): Promise<void>;
}

/** The vector memory API returned by `createMemory`: writes, reads, administration, lifecycle. */
export interface Memory extends MemoryWriter, MemorySearch, MemoryAdmin, MemoryLifecycle {}

export interface CreateMemoryOptions {
  db: TransactionRunner;
  config: Pick<Config, 'vectorDimension'> & Partial<Pick<Config, 'memoryRecallSampleRate'>>;
  metrics?: Metrics;
  /** Embeds texts for `embed()`; the caller builds it (`createEmbedder`) and closes it. */
  embedder: Embedder;
  /** The index; the memory closes it in `close()`. See `createVectorBackend`. */
  backend: VectorBackend;
  /** Start the background relay on first use (default true). */
  startRelay?: boolean;
  relayIntervalMs?: number;
  relayRetryBaseMs?: number;
}

/** Creates the memory API. Initialisation (versions, collections, relay) runs on first use or `init()`. */
export function createMemory(options: CreateMemoryOptions): Memory {
  const ctx = createMemoryContext(options);
  return {
    ...createMemoryWriter(ctx),
    ...createMemorySearch(ctx),
    ...createMemoryAdmin(ctx),
    init: () => ctx.init(),
    close: () => ctx.close(),
  };
}
