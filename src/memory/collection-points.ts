/**
 * Reads a physical collection's points from PostgreSQL for an index to load or rebuild from (the
 * embedded backend's start-up catch-up, `rebuild`, a model change's backfill).
 */
import type { Queryable } from '../postgres/queryable.js';
import type { IndexedPoint } from './backend.js';
import type { PointVersion } from './embedded/embedded-collection.js';
import {
  COLLECTION_POINTS_BY_IDS,
  COLLECTION_POINTS_PAGE,
  COLLECTION_VERSIONS_PAGE,
} from './memory-queries.js';
import { toIndexedPoint } from './outbox-relay.js';

/** A point as the admin reads of one collection return it. */
interface PointRow {
  tenant_id: string;
  id: string;
  key: string;
  vector: Buffer;
  payload: Record<string, unknown>;
  version: string;
}

/** Pages of rows of one collection in key order, by keyset (`key > $2`), mapped by `map`. */
async function* keyPages<Row extends { key: string }, T>(
  db: Queryable,
  sql: string,
  operation: string,
  physical: string,
  pageSize: number,
  map: (row: Row) => T,
): AsyncGenerator<T[]> {
  let after = '0';
  for (;;) {
    const page = await db.query<Row>(sql, [physical, after, pageSize], { operation });
    if (page.rows.length === 0) return;
    yield page.rows.map(map);
    after = (page.rows[page.rows.length - 1] as Row).key;
    if (page.rows.length < pageSize) return;
  }
}

/** Pages of a physical collection's points from PostgreSQL (admin read, all tenants); default 2000 a page. */
export function loadCollectionPoints(
  db: Queryable,
  physical: string,
  pageSize = 2000,
): AsyncGenerator<IndexedPoint[]> {
  return keyPages<PointRow, IndexedPoint>(
    db,
    COLLECTION_POINTS_PAGE,
    'memory.collection_points_page',
    physical,
    pageSize,
    toIndexedPoint,
  );
}

/**
 * Pages of every point's id, key and version (no vectors or payloads: a few dozen bytes a point),
 * for the embedded index to find what changed since its snapshot; default 20,000 a page.
 */
export function loadCollectionVersions(
  db: Queryable,
  physical: string,
  pageSize = 20_000,
): AsyncGenerator<PointVersion[]> {
  return keyPages<{ id: string; key: string; version: string }, PointVersion>(
    db,
    COLLECTION_VERSIONS_PAGE,
    'memory.collection_versions_page',
    physical,
    pageSize,
    (r) => ({ id: r.id, key: BigInt(r.key), version: Number(r.version) }),
  );
}

/** The current rows of the given points of a physical collection (absent ones are left out). */
export async function loadCollectionPointsByIds(
  db: Queryable,
  physical: string,
  ids: readonly string[],
): Promise<IndexedPoint[]> {
  const rows = await db.query<PointRow>(COLLECTION_POINTS_BY_IDS, [physical, ids], {
    operation: 'memory.collection_points_by_ids',
  });
  return rows.rows.map(toIndexedPoint);
}
