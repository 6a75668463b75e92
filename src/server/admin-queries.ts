/**
 * SQL of the admin endpoints. The operator's run as the connecting role (catalog reads, no tenant
 * rows); the tenant administrator's run in the tenant's transaction, so row-level security keeps
 * them to its own rows.
 */

/** The largest tables of the data layer's schemas with their total size (heap + indexes + TOAST). */
export const TABLE_SIZES = `
  SELECT n.nspname || '.' || c.relname AS table,
         c.relkind = 'p' AS partitioned,
         CASE WHEN c.relkind = 'p'
           THEN (SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i WHERE i.inhparent = c.oid)
           ELSE pg_total_relation_size(c.oid) END::bigint AS bytes,
         greatest(c.reltuples, 0)::bigint AS estimated_rows
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN ('public', 'auth') AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  ORDER BY bytes DESC LIMIT $1`;

/** A tenant's own figures over the last `$1` days: tasks by status, tokens and cost. */
export const TENANT_TASK_FIGURES = `
  SELECT status, count(*)::bigint AS tasks, coalesce(sum(total_tokens), 0)::bigint AS tokens,
         coalesce(sum(total_cost_usd), 0)::float8 AS cost_usd
  FROM public.task_executions
  WHERE started_at >= now() - make_interval(days => $1)
  GROUP BY status ORDER BY status`;

/** A tenant's live sessions and its memory points per collection. */
export const TENANT_STORE_FIGURES = `
  SELECT 'sessions' AS kind, NULL::text AS name,
         (SELECT count(*) FROM public.sessions WHERE deleted_at IS NULL)::bigint AS n
  UNION ALL
  SELECT 'memory_points', v.collection, count(*)::bigint
  FROM public.memory_points p JOIN public.memory_collection_versions v ON v.physical_name = p.collection
  GROUP BY v.collection`;
