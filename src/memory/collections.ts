/**
 * The registry of vector collections: the six collections Shannon uses, with their vector size,
 * distance, HNSW and optimizer settings and the payload indexes every filter needs. One registry
 * replaces the original's three bootstrap scripts that disagreed with each other (W28).
 */

/** Payload index types this layer creates (the subset of Qdrant's PayloadSchemaType we use). */
export type PayloadIndexType = 'keyword' | 'integer' | 'float' | 'bool' | 'text';

/** One payload index: a filtered field and its type. */
export interface PayloadIndexSpec {
  readonly field: string;
  readonly type: PayloadIndexType;
  /** The tenant key: Qdrant ≥ 1.11 co-locates a tenant's points (`is_tenant: true`). */
  readonly isTenant?: boolean;
  /** The main ordering/range key: Qdrant ≥ 1.11 optimises storage for it (`is_principal: true`). */
  readonly isPrincipal?: boolean;
}

/** HNSW graph settings, in Qdrant's own units. */
export interface HnswSettings {
  /** Edges per node (Qdrant default 16). */
  readonly m: number;
  /** Neighbours considered while building (Qdrant default 100). */
  readonly efConstruct: number;
  /**
   * KILOBYTES of vector data below which a filtered search skips the graph and scans the payload
   * index's matches exactly. The original documented this as a point count; it is not.
   */
  readonly fullScanThresholdKb: number;
}

/** Optimizer settings, in Qdrant's own units. */
export interface OptimizerSettings {
  /** KILOBYTES of vector data in a segment before Qdrant builds its HNSW index (default 20000). */
  readonly indexingThresholdKb: number;
}

/** Maximal marginal relevance defaults for a collection. */
export interface MmrDefaults {
  /** 1 = pure relevance, 0 = pure diversity. */
  readonly lambda: number;
  /** Candidates fetched per returned result (the original's MMRPoolMultiplier). */
  readonly poolMultiplier: number;
}

/** Everything the layer knows about one logical collection. */
export interface CollectionDefinition {
  readonly name: CollectionName;
  readonly description: string;
  readonly dimension: number;
  readonly distance: 'Cosine';
  readonly hnsw: HnswSettings;
  readonly optimizers: OptimizerSettings;
  readonly payloadIndexes: readonly PayloadIndexSpec[];
  readonly mmr: MmrDefaults;
}

export const COLLECTION_NAMES = [
  'task_embeddings',
  'tool_results',
  'cases',
  'document_chunks',
  'summaries',
  'decomposition_patterns',
] as const;

/** A logical collection name (the physical name of a version may differ, see collection versions). */
export type CollectionName = (typeof COLLECTION_NAMES)[number];

/** Default HNSW settings: the original's m=16 / ef_construct=100; full scan below 10 000 KB (≈1 666 × 1536-d). */
export const DEFAULT_HNSW: HnswSettings = Object.freeze({
  m: 16,
  efConstruct: 100,
  fullScanThresholdKb: 10_000,
});

/** Default optimizer settings: index a segment once it holds 20 000 KB of vectors (≈3 333 × 1536-d float32). */
export const DEFAULT_OPTIMIZERS: OptimizerSettings = Object.freeze({ indexingThresholdKb: 20_000 });

/** Default MMR settings (the original's 0.7 / 3, which never took effect there). */
export const DEFAULT_MMR: MmrDefaults = Object.freeze({ lambda: 0.7, poolMultiplier: 3 });

/** Payload keys the data layer writes itself; callers may neither set nor filter on them. */
export const RESERVED_PAYLOAD_KEYS: ReadonlySet<string> = new Set(['tenant_id', '_version']);

const TENANT: PayloadIndexSpec = { field: 'tenant_id', type: 'keyword', isTenant: true };
const TIMESTAMP: PayloadIndexSpec = { field: 'timestamp', type: 'integer', isPrincipal: true };
const SESSION: PayloadIndexSpec = { field: 'session_id', type: 'keyword' };
const USER: PayloadIndexSpec = { field: 'user_id', type: 'keyword' };

const PAYLOAD_INDEXES: Record<CollectionName, readonly PayloadIndexSpec[]> = {
  task_embeddings: [
    TENANT,
    SESSION,
    USER,
    { field: 'agent_id', type: 'keyword' },
    { field: 'qa_id', type: 'keyword' },
    { field: 'is_chunked', type: 'bool' },
    TIMESTAMP,
  ],
  tool_results: [TENANT, SESSION, { field: 'tool_name', type: 'keyword' }, TIMESTAMP],
  cases: [TENANT, USER, { field: 'reward', type: 'float' }, TIMESTAMP],
  document_chunks: [
    TENANT,
    { field: 'document_id', type: 'keyword' },
    { field: 'chunk_index', type: 'integer' },
    TIMESTAMP,
  ],
  summaries: [TENANT, SESSION, USER, TIMESTAMP],
  // The original indexed user_id/success_rate here but never wrote them; we index what is written.
  decomposition_patterns: [
    TENANT,
    SESSION,
    USER,
    { field: 'strategy', type: 'keyword' },
    { field: 'success', type: 'bool' },
    { field: 'pattern', type: 'text' },
    TIMESTAMP,
  ],
};

const DESCRIPTIONS: Record<CollectionName, string> = {
  task_embeddings: 'Query/answer pairs of past tasks (chunked answers share a qa_id).',
  tool_results: 'Results of tool calls.',
  cases: 'Case memory with rewards.',
  document_chunks: 'Document chunks for retrieval-augmented generation.',
  summaries: 'Context summaries and debate consensus.',
  decomposition_patterns: 'Task decomposition patterns from the supervisor.',
};

/** Builds the registry for a vector dimension (config `vectorDimension`, default 1536). */
export function collectionRegistry(dimension: number): ReadonlyMap<CollectionName, CollectionDefinition> {
  const entries = COLLECTION_NAMES.map((name): [CollectionName, CollectionDefinition] => [
    name,
    Object.freeze({
      name,
      description: DESCRIPTIONS[name],
      dimension,
      distance: 'Cosine' as const,
      hnsw: DEFAULT_HNSW,
      optimizers: DEFAULT_OPTIMIZERS,
      payloadIndexes: PAYLOAD_INDEXES[name],
      mmr: DEFAULT_MMR,
    }),
  ]);
  return new Map(entries);
}

/** True when `name` is one of the six logical collections. */
export function isCollectionName(name: unknown): name is CollectionName {
  return typeof name === 'string' && (COLLECTION_NAMES as readonly string[]).includes(name);
}

/** How many vectors of this collection fit in `kb` kilobytes (float32), for status output and docs. */
export function vectorsPerKilobytes(kb: number, dimension: number): number {
  return Math.floor((kb * 1024) / (dimension * 4));
}
