/**
 * Doctor checks on the vector store, through the memory layer's registry and backend: every
 * active collection version must exist, carry the payload indexes its filters need, be indexed and
 * green, and match the registry's dimension and distance.
 */
import type { ClusterState, CollectionState } from '../memory/backend.js';
import { type CollectionDefinition, collectionRegistry, isCollectionName } from '../memory/collections.js';
import type { Queryable } from '../postgres/queryable.js';
import type { Finding } from './finding.js';

export const ACTIVE_COLLECTIONS_SQL = `
SELECT collection, physical_name, dimension FROM public.memory_collection_versions WHERE state = 'active' ORDER BY collection`;

/** The part of a vector backend the doctor needs. */
export interface VectorInspector {
  readonly kind?: string;
  describe(physical: string, definition: CollectionDefinition): Promise<CollectionState>;
  /** Shard replicas and their states (Qdrant); absent, the cluster checks are skipped. */
  clusterState?(physical: string): Promise<ClusterState>;
}

/** Below this many points in the largest shard, an uneven split is noise, not imbalance. */
const IMBALANCE_MIN_POINTS = 1_000;

/** Replicas that are not Active, and local shards holding more than twice another's points. */
function clusterFindings(physical: string, cluster: ClusterState): Finding[] {
  const findings: Finding[] = [];
  for (const r of cluster.replicas.filter((x) => x.state !== 'Active')) {
    findings.push({
      code: 'VECTOR_REPLICA_NOT_ACTIVE',
      severity: r.state === 'Dead' ? 'critical' : 'warning',
      object: `collection ${physical} shard ${r.shardId}`,
      evidence: { peer: String(r.peer), state: r.state, shard_count: cluster.shardCount },
      fix: `GET /collections/${physical}/cluster; a Dead replica recovers when its peer is back, or replicate the shard to another peer (POST /collections/${physical}/cluster {"replicate_shard": …})`,
    });
  }
  // With tenant-keyed sharding the keys differ in size by design (a large tenant's own key against
  // `shared`): shards are compared within their key only.
  const byKey = new Map<string, number[]>();
  for (const r of cluster.replicas) {
    if (r.peer !== 'local' || r.points === null) continue;
    const key = r.shardKey === undefined ? '' : String(r.shardKey);
    byKey.set(key, [...(byKey.get(key) ?? []), r.points]);
  }
  for (const [key, counts] of byKey) {
    if (counts.length < 2) continue;
    const max = Math.max(...counts);
    const min = Math.min(...counts);
    if (max >= IMBALANCE_MIN_POINTS && max > 2 * min) {
      findings.push({
        code: 'VECTOR_SHARD_IMBALANCE',
        severity: 'warning',
        object: `collection ${physical}${key === '' ? '' : ` shard key ${key}`}`,
        evidence: { largest_shard_points: max, smallest_shard_points: min, shards: counts.length },
        fix: 'With custom sharding, spread tenants over more shard keys; with automatic sharding, check the ids are random (UUIDs) and not clustered',
      });
    }
  }
  return findings;
}

/** Findings for every active collection version. */
export async function checkVectorCollections(
  db: Queryable,
  backend: VectorInspector,
  dimension: number,
): Promise<Finding[]> {
  const exists = await db.query<{ ok: boolean }>(
    `SELECT to_regclass('public.memory_collection_versions') IS NOT NULL AS ok`,
  );
  if (!exists.rows[0]!.ok) return [];
  const registry = collectionRegistry(dimension);
  const { rows } = await db.query<{ collection: string; physical_name: string; dimension: number }>(
    ACTIVE_COLLECTIONS_SQL,
    [],
    {
      operation: 'ops.doctor.vector_collections',
    },
  );
  const findings: Finding[] = [];
  for (const row of rows) {
    if (!isCollectionName(row.collection)) continue;
    const definition = { ...registry.get(row.collection)!, dimension: row.dimension };
    const state = await backend.describe(row.physical_name, definition);
    const object = `collection ${row.physical_name}`;
    // The embedded index lives in the serving process and is built from PostgreSQL on demand; a
    // CLI process that has not loaded it says nothing about its health.
    if (!state.exists && backend.kind === 'embedded') continue;
    if (!state.exists) {
      findings.push({
        code: 'VECTOR_COLLECTION_MISSING',
        severity: 'warning',
        object,
        evidence: { collection: row.collection, backend: backend.kind ?? null },
        fix: 'shannon-data memory bootstrap   # creates collections and payload indexes from the registry',
      });
      continue;
    }
    for (const field of state.missingPayloadIndexes) {
      const spec = definition.payloadIndexes.find((p) => p.field === field);
      findings.push({
        code: 'VECTOR_PAYLOAD_INDEX_MISSING',
        severity: 'warning',
        object,
        evidence: {
          field,
          type: spec?.type ?? null,
          points: state.points,
          present: state.payloadIndexes.join(', '),
        },
        fix: `PUT /collections/${row.physical_name}/index {"field_name":"${field}","field_schema":"${spec?.type ?? 'keyword'}"}   # or: shannon-data memory bootstrap`,
      });
    }
    if (state.drift.length > 0) {
      findings.push({
        code: 'VECTOR_DIMENSION_DRIFT',
        severity: 'critical',
        object,
        evidence: {
          drift: state.drift.join(', '),
          registry_dimension: definition.dimension,
          distance: definition.distance,
        },
        fix: 'Re-embed into a new collection version and swap the alias (memory versions), never write mixed dimensions',
      });
    }
    if (backend.clusterState !== undefined)
      findings.push(...clusterFindings(row.physical_name, await backend.clusterState(row.physical_name)));
    if (state.status !== 'green') {
      findings.push({
        code: 'VECTOR_OPTIMIZER_STATUS',
        severity: state.status === 'red' ? 'critical' : 'info',
        object,
        evidence: { status: state.status },
        fix: 'Wait for the optimizer (yellow) or read the backend log (red)',
      });
    }
    if (state.points > 0 && state.indexedVectors < state.points && state.status !== 'green') {
      findings.push({
        code: 'VECTOR_UNINDEXED',
        severity: 'info',
        object,
        evidence: { points: state.points, indexed_vectors: state.indexedVectors },
        fix: 'Segments below the indexing threshold are searched exactly; nothing to do unless searches are slow',
      });
    }
  }
  return findings;
}
