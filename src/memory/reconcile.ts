/**
 * Reconciliation between PostgreSQL (the truth) and an index backend: finds points missing from
 * the index, orphans the index holds but PostgreSQL does not, and stale points whose indexed
 * version is older; repairs them (re-delivery through the outbox, orphan deletion). Also a full
 * rebuild of one collection from PostgreSQL.
 */
import type { Queryable } from '../postgres/queryable.js';
import type { IndexedPoint, VectorBackend } from './backend.js';
import type { CollectionDefinition } from './collections.js';
import { COLLECTION_VERSIONS_PAGE, ENQUEUE_REDELIVERY } from './memory-queries.js';

/** What reconciliation found (and repaired) in one physical collection. */
export interface ReconcileReport {
  collection: string;
  sourcePoints: number;
  indexedPoints: number;
  missing: number;
  orphans: number;
  stale: number;
  repaired: boolean;
  /** Up to 20 example ids per kind, for the operator. */
  examples: { missing: string[]; orphans: string[]; stale: string[] };
}

const EXAMPLES = 20;

/** Compares one physical collection; with `repair`, queues re-deliveries and deletes orphans. */
export async function reconcileCollection(
  db: Queryable,
  backend: VectorBackend,
  physical: string,
  options: { repair: boolean },
): Promise<ReconcileReport> {
  const indexed = new Map<string, number>();
  for await (const page of backend.listVersions(physical)) {
    for (const p of page) indexed.set(p.id, p.version);
  }
  const missing: string[] = [];
  const stale: string[] = [];
  let sourcePoints = 0;
  let after = '0';
  for (;;) {
    const page = await db.query<{ id: string; key: string; version: string }>(
      COLLECTION_VERSIONS_PAGE,
      [physical, after, 5000],
      { operation: 'memory.reconcile_page' },
    );
    for (const row of page.rows) {
      sourcePoints += 1;
      const held = indexed.get(row.id);
      if (held === undefined) missing.push(row.id);
      else if (held < Number(row.version)) stale.push(row.id);
      indexed.delete(row.id);
    }
    if (page.rows.length < 5000) break;
    after = (page.rows[page.rows.length - 1] as { key: string }).key;
  }
  const orphans = [...indexed.keys()];
  if (options.repair) {
    const redeliver = [...missing, ...stale];
    for (let i = 0; i < redeliver.length; i += 1000) {
      await db.query(ENQUEUE_REDELIVERY, [physical, redeliver.slice(i, i + 1000)], {
        operation: 'memory.reconcile_enqueue',
      });
    }
    if (orphans.length > 0) await backend.delete(physical, orphans);
  }
  return {
    collection: physical,
    sourcePoints,
    indexedPoints: sourcePoints - missing.length + orphans.length,
    missing: missing.length,
    orphans: orphans.length,
    stale: stale.length,
    repaired: options.repair,
    examples: {
      missing: missing.slice(0, EXAMPLES),
      orphans: orphans.slice(0, EXAMPLES),
      stale: stale.slice(0, EXAMPLES),
    },
  };
}

/** Drops and recreates the index of a physical collection, then loads every point from PostgreSQL. */
export async function rebuildCollection(
  backend: VectorBackend,
  physical: string,
  definition: CollectionDefinition,
  source: AsyncIterable<IndexedPoint[]>,
): Promise<{ collection: string; points: number }> {
  await backend.dropCollection(physical);
  await backend.ensureCollection(physical, definition);
  let points = 0;
  // The embedded backend loads PostgreSQL's points itself while (re)creating the collection.
  if (backend.kind === 'embedded') {
    for await (const page of backend.listVersions(physical)) points += page.length;
    return { collection: physical, points };
  }
  for await (const page of source) {
    await backend.upsert(physical, page);
    points += page.length;
  }
  return { collection: physical, points };
}
