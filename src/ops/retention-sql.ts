/** Named queries and DDL builders of the retention run. */

/** Tenants with their plan and workspace retention, for per-tenant policies. */
export const TENANT_RETENTION_SQL = `SELECT id::text AS id, plan, workspace_retention_days FROM auth.tenants`;

/** Memory points created in a range, grouped for the memory layer's delete (which writes the outbox). */
export const MEMORY_POINTS_IN_RANGE_SQL = `
SELECT tenant_id::text AS tenant_id, collection, array_agg(id::text) AS ids
  FROM public.memory_points WHERE created_at >= $1 AND created_at < $2
 GROUP BY tenant_id, collection`;

export const COUNT_MEMORY_POINTS_SQL = `
SELECT count(*)::bigint AS n FROM public.memory_points WHERE created_at >= $1 AND created_at < $2`;

/** Restored points get a newer version and an outbox row, so the vector index takes them back. */
export const REQUEUE_RESTORED_POINTS_SQL = `
WITH bumped AS (
  UPDATE public.memory_points SET version = version + 2, updated_at = now()
   WHERE created_at >= $1 AND created_at < $2 AND ($3::uuid IS NULL OR tenant_id = $3::uuid)
     AND ($4::text IS NULL OR collection = $4::text)
  RETURNING tenant_id, collection, id, version
)
INSERT INTO public.memory_outbox (tenant_id, collection, point_id, op, point_version)
SELECT tenant_id, collection, id, 'upsert', version FROM bumped`;

export const ANONYMISE_AUTH_AUDIT_SQL = `
UPDATE auth.audit_logs SET ip_address = NULL, user_agent = NULL,
       details = details - 'ip' - 'ip_address' - 'user_agent' - 'email'
 WHERE created_at < $1 AND (ip_address IS NOT NULL OR user_agent IS NOT NULL)`;

export const ANONYMISE_APP_AUDIT_SQL = `
UPDATE public.audit_logs SET ip_address = NULL, user_agent = NULL
 WHERE created_at < $1 AND (ip_address IS NOT NULL OR user_agent IS NOT NULL)`;

export const COUNT_AUTH_AUDIT_TO_ANONYMISE_SQL = `
SELECT (SELECT count(*) FROM auth.audit_logs WHERE created_at < $1 AND (ip_address IS NOT NULL OR user_agent IS NOT NULL))
     + (SELECT count(*) FROM public.audit_logs WHERE created_at < $1 AND (ip_address IS NOT NULL OR user_agent IS NOT NULL)) AS n`;

export const PURGE_REFRESH_TOKENS_SQL = `
DELETE FROM auth.refresh_tokens WHERE expires_at < $1 OR (revoked AND coalesce(revoked_at, created_at) < $2)`;
export const COUNT_REFRESH_TOKENS_SQL = `
SELECT count(*)::bigint AS n FROM auth.refresh_tokens WHERE expires_at < $1 OR (revoked AND coalesce(revoked_at, created_at) < $2)`;

/** The physical names of a logical collection's versions (every version holds points). */
export const COLLECTION_PHYSICAL_NAMES_SQL = `
SELECT physical_name FROM public.memory_collection_versions WHERE collection = $1 ORDER BY version`;

/** A tenant's points of one physical collection created before $3 (memory_points_tenant_collection_created_idx). */
export const COUNT_COLLECTION_POINTS_SQL = `
SELECT count(*)::bigint AS n FROM public.memory_points
 WHERE tenant_id = $1 AND collection = $2 AND created_at < $3`;

/** Up to $4 of those points, for the memory layer's delete (which writes the outbox). */
export const COLLECTION_POINTS_BATCH_SQL = `
SELECT id::text AS id FROM public.memory_points
 WHERE tenant_id = $1 AND collection = $2 AND created_at < $3 LIMIT $4`;

/**
 * The daily aggregates of the days in [$1, $2) (UTC, as the aggregate triggers date a task), once
 * the task partition holding every task of those days is dropped.
 */
export const COUNT_DAILY_AGGREGATES_SQL = `
SELECT count(*)::bigint AS n FROM public.usage_daily_aggregates
 WHERE date >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND date < ($2::timestamptz AT TIME ZONE 'UTC')::date`;
export const DELETE_DAILY_AGGREGATES_SQL = `
DELETE FROM public.usage_daily_aggregates
 WHERE date >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND date < ($2::timestamptz AT TIME ZONE 'UTC')::date`;

/**
 * Dropping an expired monthly partition, after its rows are archived: detached first (a short
 * lock on the parent), then dropped. Both names come from the partition catalogue, already quoted.
 */
export const detachPartitionSql = (table: string, partition: string): string =>
  `ALTER TABLE ${table} DETACH PARTITION ${partition}`;

export const dropPartitionSql = (partition: string): string => `DROP TABLE ${partition}`;

export const MEMORY_POINTS_TABLE_EXISTS_SQL = `SELECT to_regclass('public.memory_points') IS NOT NULL AS ok`;

/** A tenant's rows in [$2, $3) of a table; `table` is the catalogue's quoted name, `column` quoted. */
export const countTenantRowsSql = (table: string, column: string): string =>
  `SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1 AND ${column} >= $2 AND ${column} < $3`;

/**
 * Deletes up to 10 000 of a tenant's rows older than $2, chosen by primary key (`keys`, quoted):
 * short transactions, no long lock or vacuum debt at once.
 */
export const deleteTenantRowsBatchSql = (table: string, keys: string, column: string): string =>
  `DELETE FROM ${table} WHERE (${keys}) IN (
     SELECT ${keys} FROM ${table} WHERE tenant_id = $1 AND ${column} < $2 LIMIT 10000)`;
