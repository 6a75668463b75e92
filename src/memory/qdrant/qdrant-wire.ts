/**
 * Qdrant's REST answers as this backend reads them (the fields it uses, per the OpenAPI documents
 * vendored in test/fixtures/qdrant-openapi), and the comparison of a collection's info with the
 * registry's definition that `describe` reports as drift.
 */
import { ShannonError } from '../../errors/errors.js';
import type { IndexedPoint, ScoredPoint } from '../backend.js';
import type { CollectionDefinition } from '../collections.js';
import type { Filter } from '../filter.js';

export interface Envelope<T> {
  result: T;
  status: string | { error: string };
  time?: number;
}

export interface WireScoredPoint {
  id: string | number;
  score?: number;
  payload?: Record<string, unknown> | null;
  vector?: number[] | Record<string, unknown> | null;
}

export interface UpdateResult {
  operation_id?: number | null;
  status: string;
}

export interface CollectionInfo {
  status: string;
  points_count?: number | null;
  indexed_vectors_count?: number | null;
  config: {
    params: {
      vectors?: { size?: number; distance?: string };
      shard_number?: number;
      sharding_method?: string;
      replication_factor?: number;
      write_consistency_factor?: number;
    };
    hnsw_config?: { m?: number; ef_construct?: number; full_scan_threshold?: number };
    optimizer_config?: { indexing_threshold?: number | null };
  };
  payload_schema: Record<string, { data_type?: string }>;
}

export function toScored(point: WireScoredPoint): ScoredPoint {
  const vector = Array.isArray(point.vector) ? Float32Array.from(point.vector) : undefined;
  return {
    id: String(point.id),
    score: point.score ?? 0,
    payload: point.payload ?? {},
    ...(vector === undefined ? {} : { vector }),
  };
}

export function assertCompleted(result: UpdateResult, what: string): void {
  if (result?.status !== 'completed') {
    throw new ShannonError(
      'VECTOR_BACKEND_FAILED',
      `Qdrant ${what} was not completed (status ${String(result?.status)})`,
      {
        details: { infrastructure: true, status: 200 },
      },
    );
  }
}

/**
 * The `update_filter` that lets an upsert replace a stored point only with a newer version of it:
 * per point, "this id, stored `_version` below the one sent". Qdrant evaluates it against the
 * stored point; new points are inserted whatever it says.
 */
export function versionGuard(points: readonly IndexedPoint[]): Filter {
  return {
    should: points.map((p) => ({
      must: [{ has_id: [p.id] }, { key: '_version', range: { lt: p.version } }],
    })),
  };
}

/** Payload indexes present and how the collection differs from its registry definition. */
export function compareWithRegistry(
  info: CollectionInfo,
  definition: CollectionDefinition,
): { present: string[]; drift: string[] } {
  const present = Object.keys(info.payload_schema ?? {});
  const vectors = info.config.params.vectors;
  const drift: string[] = [];
  if (vectors?.size !== undefined && vectors.size !== definition.dimension)
    drift.push(`dimension ${vectors.size}`);
  if (vectors?.distance !== undefined && vectors.distance !== definition.distance)
    drift.push(`distance ${vectors.distance}`);
  const hnsw = info.config.hnsw_config;
  const expected: Array<[string, number | null | undefined, number]> = [
    ['hnsw m', hnsw?.m, definition.hnsw.m],
    ['hnsw ef_construct', hnsw?.ef_construct, definition.hnsw.efConstruct],
    ['full_scan_threshold (KB)', hnsw?.full_scan_threshold, definition.hnsw.fullScanThresholdKb],
    [
      'indexing_threshold (KB)',
      info.config.optimizer_config?.indexing_threshold,
      definition.optimizers.indexingThresholdKb,
    ],
  ];
  for (const [name, actual, wanted] of expected) {
    if (actual !== undefined && actual !== null && actual !== wanted)
      drift.push(`${name} ${actual} (registry ${wanted})`);
  }
  return { present, drift };
}
