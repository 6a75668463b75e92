/**
 * Reads a physical collection's points from PostgreSQL for an index to load or rebuild from (the
 * embedded backend's start-up catch-up, `rebuild`, a model change's backfill).
 */
import type { Queryable } from '../postgres/queryable.js';
import type { IndexedPoint } from './backend.js';
import { COLLECTION_POINTS_PAGE } from './memory-queries.js';
import { toIndexedPoint } from './outbox-relay.js';

/** Pages of a physical collection's points from PostgreSQL (admin read, all tenants); default 2000 a page. */
export async function* loadCollectionPoints(
  db: Queryable,
  physical: string,
  pageSize = 2000,
): AsyncGenerator<IndexedPoint[]> {
  let after = '0';
  for (;;) {
    const page = await db.query<{
      tenant_id: string;
      id: string;
      key: string;
      vector: Buffer;
      payload: Record<string, unknown>;
      version: string;
    }>(COLLECTION_POINTS_PAGE, [physical, after, pageSize], { operation: 'memory.collection_points_page' });
    if (page.rows.length === 0) return;
    yield page.rows.map(toIndexedPoint);
    after = (page.rows[page.rows.length - 1] as { key: string }).key;
    if (page.rows.length < pageSize) return;
  }
}
