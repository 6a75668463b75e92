/**
 * Chooses the vector index backend from the configuration: Qdrant when QDRANT_URL is set, else the
 * embedded usearch index, which catches up from PostgreSQL's points when a collection is opened.
 */
import type { Config } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import type { Queryable } from '../postgres/queryable.js';
import type { VectorBackend } from './backend.js';
import {
  loadCollectionPoints,
  loadCollectionPointsByIds,
  loadCollectionVersions,
} from './collection-points.js';
import { EmbeddedBackend } from './embedded/embedded-backend.js';
import { QdrantBackend } from './qdrant/qdrant-backend.js';

export interface CreateVectorBackendOptions {
  config: Pick<Config, 'qdrantUrl' | 'qdrantApiKey' | 'dataDir'> & Partial<Pick<Config, 'qdrantCluster'>>;
  /** Where the embedded backend reads the points it loads (all tenants). */
  db: Queryable;
  metrics?: Metrics | undefined;
  /** Embedded snapshots directory; default `config.dataDir`; null keeps the embedded index in memory. */
  snapshotDir?: string | null;
}

/** The configured backend; the caller (or the memory it is given to) closes it. */
export function createVectorBackend(options: CreateVectorBackendOptions): VectorBackend {
  const { config, db, metrics } = options;
  if (config.qdrantUrl !== undefined) {
    return new QdrantBackend({
      url: config.qdrantUrl,
      apiKey: config.qdrantApiKey,
      metrics,
      ...(config.qdrantCluster === undefined ? {} : { cluster: config.qdrantCluster }),
    });
  }
  const snapshotDir = options.snapshotDir === null ? undefined : (options.snapshotDir ?? config.dataDir);
  return new EmbeddedBackend({
    dataDir: snapshotDir,
    loadPoints: (physical) => loadCollectionPoints(db, physical),
    incremental: (physical) => ({
      versions: () => loadCollectionVersions(db, physical),
      byIds: (ids) => loadCollectionPointsByIds(db, physical, ids),
    }),
  });
}
