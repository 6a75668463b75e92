/** Catalog queries of the index advisor (named, in full view). */

/** Root table of a scanned relation (partitions map to their partitioned parent). */
export const RESOLVE_TABLES_SQL = `
SELECT x.name, r.oid AS table_oid, r.oid::regclass::text AS table_name, r.relkind::text AS relkind
  FROM unnest($1::text[]) AS x(name)
  JOIN pg_class c ON c.oid = to_regclass(x.name)
  JOIN pg_class r ON r.oid = coalesce(pg_partition_root(c.oid)::oid, c.oid)`;

/** Btree-indexable columns of tables (json, jsonb, xml, arrays, geometric types left out). */
export const TABLE_COLUMNS_SQL = `
SELECT a.attrelid AS table_oid, a.attname::text AS column_name, format_type(a.atttypid, a.atttypmod) AS type,
       coalesce(s.avg_width, 8)::int AS avg_width
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
 WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
   AND t.typcategory NOT IN ('A', 'G', 'U') AND t.typname NOT IN ('json', 'jsonb', 'xml', 'point')
   AND EXISTS (SELECT 1 FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
                WHERE am.amname = 'btree' AND oc.opcdefault AND oc.opcintype IN (a.atttypid, t.typbasetype))`;

/** Existing valid indexes as column-name lists (expression indexes have no names and never cover). */
export const EXISTING_INDEXES_SQL = `
SELECT i.indrelid AS table_oid, i.indexrelid::regclass::text AS index_name, am.amname::text AS method,
       array_agg(a.attname::text ORDER BY k.ord) AS columns, i.indpred IS NOT NULL AS partial
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ic.relam
  CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
  LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
 WHERE i.indrelid = ANY ($1::oid[]) AND i.indisvalid AND k.ord <= i.indnkeyatts
 GROUP BY i.indrelid, i.indexrelid, am.amname, i.indpred`;

/**
 * Read and write volume per table since the statistics reset, for the write-heavy weighing;
 * partitions are summed into their root.
 */
export const TABLE_TRAFFIC_SQL = `
SELECT coalesce(pg_partition_root(s.relid)::oid, s.relid) AS table_oid,
       sum(coalesce(s.seq_tup_read, 0) + coalesce(s.idx_tup_fetch, 0))::float8 AS rows_read,
       sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del)::float8 AS rows_written,
       sum(s.n_live_tup)::float8 AS live_rows
  FROM pg_stat_user_tables s
 WHERE coalesce(pg_partition_root(s.relid)::oid, s.relid) = ANY ($1::oid[])
 GROUP BY 1`;

export const AVG_ROW_WIDTH_SQL = `
SELECT c.oid AS table_oid, coalesce(sum(s.avg_width), 0)::int + 24 AS row_width
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
 WHERE c.oid = ANY ($1::oid[]) GROUP BY c.oid`;

export const HYPOPG_RESET_SQL = 'SELECT hypopg_reset()';
export const HYPOPG_CREATE_SQL = 'SELECT indexname::text AS name FROM hypopg_create_index($1)';
