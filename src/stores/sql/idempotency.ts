/**
 * Serialises concurrent inserts of one idempotency key. The append tables' unique keys include the
 * partition column (tenant_id, idempotency_key, created_at), so a retry stamped with a different
 * created_at would not conflict; the single-record path therefore takes a transaction-scoped
 * advisory lock on the key and checks for an existing row before inserting (the batched writers in
 * src/ingest replay the original created_at and rely on the unique key alone).
 */

// $1 = '<table>:<tenant>:<key>'; 64-bit hash, held until the transaction ends.
export const LOCK_IDEMPOTENCY_KEY = `SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))`;
