/** The single-record idempotent insert shared by the append-only stores. */
import type { Queryable } from '../postgres/queryable.js';
import { requireText } from '../validation/checks.js';
import { LOCK_IDEMPOTENCY_KEY } from './sql/idempotency.js';

/** Longest idempotency key accepted (bytes of text; keys are usually uuids or "<workflow>:<seq>"). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** What an idempotent insert reports: the row's id and time, and whether this call created it. */
export interface InsertResult {
  id: string;
  createdAt: Date;
  created: boolean;
}

/** Validates an idempotency key. @throws ValidationError('idempotencyKey'). */
export function requireIdempotencyKey(value: unknown): string {
  return requireText('idempotencyKey', value, MAX_IDEMPOTENCY_KEY_LENGTH);
}

/**
 * Inserts one row unless its key exists: locks the key for the transaction, then runs `insertSql`
 * (which must skip existing keys and return `id, created_at`), else reads the stored row.
 */
export async function insertOnce(
  q: Queryable,
  table: string,
  operation: string,
  insertSql: string,
  selectSql: string,
  values: readonly unknown[],
): Promise<InsertResult> {
  const tenantId = values[0] as string;
  const key = values[1] as string;
  await q.query(LOCK_IDEMPOTENCY_KEY, [`${table}:${tenantId}:${key}`], { operation });
  const inserted = await q.query<{ id: string; created_at: Date }>(insertSql, values, { operation });
  const row = inserted.rows[0];
  if (row !== undefined) return { id: row.id, createdAt: row.created_at, created: true };
  const existing = await q.query<{ id: string; created_at: Date }>(selectSql, [tenantId, key], { operation });
  const found = existing.rows[0]!;
  return { id: found.id, createdAt: found.created_at, created: false };
}
