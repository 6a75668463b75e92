/**
 * Writes memory points to PostgreSQL together with their outbox rows, in one statement per batch,
 * inside the caller's transaction when one is given (so the point commits with the caller's rows).
 */
import type { Queryable } from '../postgres/queryable.js';
import { DELETE_POINTS, TENANT_POINTS_PAGE, UPDATE_PAYLOAD, UPSERT_POINTS } from './memory-queries.js';
import { encodeVector } from './vector.js';

/** A validated point ready to store (payload already free of reserved keys). */
export interface StoredPointInput {
  readonly id: string;
  readonly vector: Float32Array;
  readonly payload: Record<string, unknown>;
}

/** Upserts points; returns how many changed (unchanged retries are skipped). */
export async function upsertPoints(
  db: Queryable,
  tenantId: string,
  physical: string,
  points: readonly StoredPointInput[],
): Promise<number> {
  // ON CONFLICT cannot touch a row twice in one statement: the last write of an id in a batch wins.
  const byId = new Map<string, StoredPointInput>();
  for (const point of points) byId.set(point.id, point);
  const unique = [...byId.values()];
  const result = await db.query(
    UPSERT_POINTS,
    [
      tenantId,
      physical,
      unique.map((p) => p.id),
      unique.map((p) => encodeVector(p.vector)),
      unique.map((p) => JSON.stringify(p.payload)),
    ],
    { operation: 'memory.upsert_points' },
  );
  return result.rowCount;
}

/** Deletes points by id; returns how many existed. */
export async function deletePoints(
  db: Queryable,
  tenantId: string,
  physical: string,
  ids: readonly string[],
): Promise<number> {
  const result = await db.query(DELETE_POINTS, [tenantId, physical, ids], {
    operation: 'memory.delete_points',
  });
  return result.rowCount;
}

/** Merges keys into one point's payload; returns false when the point does not exist. */
export async function updatePayload(
  db: Queryable,
  tenantId: string,
  physical: string,
  id: string,
  patch: Record<string, unknown>,
): Promise<boolean> {
  const result = await db.query(UPDATE_PAYLOAD, [tenantId, physical, id, JSON.stringify(patch)], {
    operation: 'memory.update_payload',
  });
  return result.rowCount > 0;
}

/** Pages through a tenant's points (id, payload) in id order. */
export async function* tenantPoints(
  db: Queryable,
  tenantId: string,
  physical: string,
  pageSize = 1000,
): AsyncGenerator<Array<{ id: string; payload: Record<string, unknown> }>> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const page = await db.query<{ id: string; payload: Record<string, unknown> }>(
      TENANT_POINTS_PAGE,
      [tenantId, physical, after, pageSize],
      { operation: 'memory.tenant_points_page' },
    );
    if (page.rows.length === 0) return;
    yield page.rows;
    after = (page.rows[page.rows.length - 1] as { id: string }).id;
    if (page.rows.length < pageSize) return;
  }
}
