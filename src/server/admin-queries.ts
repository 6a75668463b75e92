/** SQL of the admin endpoints (run as the connecting role: catalog reads, no tenant data). */

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
