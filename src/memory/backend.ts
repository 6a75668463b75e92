/**
 * The port every vector index backend implements (Qdrant over REST, or the embedded ANN index).
 * Backends are derived indexes: they receive points from the outbox relay and answer searches;
 * PostgreSQL stays the source of truth (SPEC P1).
 */
import { ShannonError } from '../errors/errors.js';
import type { CollectionDefinition } from './collections.js';
import type { Filter } from './filter.js';

/**
 * True when the backend refused a call for now and said so (VECTOR_BACKEND_BUSY: Qdrant's
 * strict-mode rate limit): it is healthy and asks for less. No breaker counts it; the relay defers
 * the rows by `details.retryAfterMs`; a search answers 503 with Retry-After.
 */
export function isBackendBusy(error: unknown): error is ShannonError {
  return error instanceof ShannonError && error.code === 'VECTOR_BACKEND_BUSY';
}

/** A point as delivered to an index: payload already carries `tenant_id` and `_version`. */
export interface IndexedPoint {
  readonly id: string;
  /** Stable integer label (memory_points.key), used by the embedded index. */
  readonly key: bigint;
  readonly vector: Float32Array;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly version: number;
}

/** A search hit (scroll results carry score 0). */
export interface ScoredPoint {
  readonly id: string;
  readonly score: number;
  readonly payload: Record<string, unknown>;
  readonly vector?: Float32Array;
}

export interface BackendSearchRequest {
  readonly vector: Float32Array;
  /** The composed filter (tenant condition included). */
  readonly filter: Filter;
  readonly limit: number;
  readonly scoreThreshold?: number;
  readonly withVector: boolean;
  /** The tenant searched (also in the filter): a sharded index reads only that tenant's shards. */
  readonly tenantId?: string;
  /**
   * true: exact (a full scan of the candidates), the recall sampler's ground truth; false: the
   * approximate index even where the planner would scan (benchmarks); unset: the planner decides.
   */
  readonly exact?: boolean;
  /**
   * MMR done by the index itself (only where `supportsServerMmr` says so): the answer is the
   * `limit` points in MMR order, chosen among the `candidates` nearest.
   */
  readonly mmr?: { readonly lambda: number; readonly candidates: number };
}

export interface BackendScrollRequest {
  readonly filter: Filter;
  readonly limit: number;
  readonly orderBy?: { readonly key: string; readonly direction: 'asc' | 'desc' };
  readonly withVector?: boolean;
  /** As in BackendSearchRequest. */
  readonly tenantId?: string;
}

/** What bootstrap did to one collection. */
export interface BootstrapResult {
  readonly collection: string;
  readonly created: boolean;
  readonly addedPayloadIndexes: string[];
}

/** Observed state of one physical collection, compared with the registry. */
export interface CollectionState {
  readonly collection: string;
  readonly exists: boolean;
  readonly points: number;
  readonly indexedVectors: number;
  readonly status: string;
  readonly payloadIndexes: string[];
  readonly missingPayloadIndexes: string[];
  readonly drift: string[];
  /** Shards and replicas as the backend holds them (Qdrant; absent for the embedded index). */
  readonly cluster?: {
    shardNumber: number;
    replicationFactor: number;
    writeConsistencyFactor: number;
    /** The shard keys of a custom-sharded collection (tenant-keyed sharding); absent for automatic. */
    shardKeys?: string[];
  };
}

/** A collection's shard and replica layout and its replicas' states, from `GET …/cluster`. */
export interface ClusterState {
  shardCount: number;
  /** Every replica of every shard this peer knows: local ones with their point counts. */
  replicas: Array<{
    shardId: number;
    peer: 'local' | number;
    state: string;
    points: number | null;
    /** The shard's key in a custom-sharded collection. */
    shardKey?: string | number;
  }>;
}

/** Point id + version as the index holds it, for reconciliation. */
export interface IndexedVersion {
  readonly id: string;
  readonly version: number;
}

export interface VectorBackend {
  readonly kind: 'qdrant' | 'embedded';
  /** Creates the collection when missing and adds payload indexes it lacks. */
  ensureCollection(physical: string, definition: CollectionDefinition): Promise<BootstrapResult>;
  dropCollection(physical: string): Promise<void>;
  upsert(physical: string, points: readonly IndexedPoint[]): Promise<void>;
  delete(physical: string, ids: readonly string[]): Promise<void>;
  search(physical: string, request: BackendSearchRequest): Promise<ScoredPoint[]>;
  scroll(physical: string, request: BackendScrollRequest): Promise<ScoredPoint[]>;
  /** True when `search` takes `mmr` (the server re-ranks); otherwise MMR is done by the caller. */
  supportsServerMmr?(): Promise<boolean>;
  /** Points matching `filter`; `tenantId` as in BackendSearchRequest. */
  count(physical: string, filter: Filter, tenantId?: string): Promise<number>;
  /** Every point's id and `_version`, in pages. */
  listVersions(physical: string): AsyncIterable<IndexedVersion[]>;
  describe(physical: string, definition: CollectionDefinition): Promise<CollectionState>;
  /** Points the logical alias at a physical collection (atomic swap). */
  setAlias(alias: string, physical: string): Promise<void>;
  close(): Promise<void>;
}
