/**
 * Named statements of archive export and restore. Table arguments are qualified names already
 * quoted (`qualifiedName`); column arguments are bare catalog names, always quoted here (a column
 * may be named like a keyword); dates are `toISOString` text and tenant ids checked UUIDs.
 */
import { quoteIdentAlways } from '../finding.js';

/** A table's schema, name, relkind, primary-key columns, columns and single partition key column. */
export const TABLE_KEY_SQL = `
SELECT n.nspname AS schema_name, c.relname AS table_name, c.relkind::text AS relkind,
       (SELECT array_agg(a.attname::text ORDER BY k.ord)
          FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = c.oid AND i.indisprimary) AS key_columns,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns,
       (SELECT a.attname::text FROM pg_partitioned_table pt JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
         WHERE pt.partrelid = c.oid AND pt.partnatts = 1) AS partition_column
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = to_regclass($1)`;

const columnList = (columns: readonly string[]) => columns.map(quoteIdentAlways).join(', ');

/** What a range's content is, in primary-key order; literal bounds, since COPY takes no parameters. */
export interface RangeSelect {
  table: string;
  columns: readonly string[];
  keys: readonly string[];
  column: string;
  from: string;
  to: string;
  /** Lower-case UUID, or undefined for every tenant's rows. */
  tenantId: string | undefined;
  /** A physical vector collection (memory points only; checked name), or undefined for all. */
  collection?: string | undefined;
}

/** The SELECT that defines a range's content. */
export function rangeSelectSql(r: RangeSelect): string {
  const c = quoteIdentAlways(r.column);
  const tenant = r.tenantId === undefined ? '' : ` AND tenant_id = '${r.tenantId}'`;
  const collection = r.collection === undefined ? '' : ` AND collection = '${r.collection}'`;
  return `SELECT ${columnList(r.columns)} FROM ${r.table}
           WHERE ${c} >= '${r.from}' AND ${c} < '${r.to}'${tenant}${collection}
           ORDER BY ${columnList(r.keys)}`;
}

/** Streams the rows of `select` as COPY text. */
export function copyOutSql(select: string): string {
  return `COPY (${select}) TO STDOUT`;
}

export const CURRENT_DATABASE_SQL = 'SELECT current_database() AS db';

/** Records an archive: $1 directory, $2 manifest JSON. */
export const RECORD_ARCHIVE_SQL = `INSERT INTO shannon_ops.archives (directory, manifest) VALUES ($1, $2)`;

/** Marks the archive in directory $1 restored. */
export const MARK_RESTORED_SQL = `UPDATE shannon_ops.archives SET restored_at = now() WHERE directory = $1`;

/** A range partition of $1 whose bounds hold the instant $2 (default partition left out). */
export const PARTITION_COVERING_SQL = `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
          AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$FROM \\('([^']*)'\\)$re$))[1]::timestamptz <= $2::timestamptz
          AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$TO \\('([^']*)'\\)$re$))[1]::timestamptz > $2::timestamptz`;

/** Session-local table the rows of one file are loaded into and checked in, before the target. */
const STAGE_TABLE = 'shannon_restore_rows';

/** Creates the staging table shaped like `target`; it disappears at COMMIT or ROLLBACK. */
export function createStageSql(target: string): string {
  return `CREATE TEMP TABLE ${STAGE_TABLE} (LIKE ${target} INCLUDING DEFAULTS) ON COMMIT DROP`;
}

/** Loads COPY text of `columns` into the staging table. */
export function copyIntoStageSql(columns: readonly string[]): string {
  return `COPY pg_temp.${STAGE_TABLE} (${columnList(columns)}) FROM STDIN`;
}

/**
 * Counts staged rows, those outside [$1, $2) of `column`, those of another tenant than $3, and
 * those of another collection than the next parameter (memory points archived per collection).
 */
export function checkStageSql(column: string, tenantScoped: boolean, collectionScoped = false): string {
  const c = quoteIdentAlways(column);
  const foreign = tenantScoped ? 'count(*) FILTER (WHERE tenant_id IS DISTINCT FROM $3::uuid)' : '0';
  const otherCollection = collectionScoped
    ? `count(*) FILTER (WHERE collection IS DISTINCT FROM $${tenantScoped ? 4 : 3}::text)`
    : '0';
  return `SELECT count(*) AS rows,
                 count(*) FILTER (WHERE ${c} IS NULL OR ${c} < $1::timestamptz OR ${c} >= $2::timestamptz) AS outside,
                 ${foreign} AS foreign,
                 ${otherCollection} AS other_collection
            FROM pg_temp.${STAGE_TABLE}`;
}

/** Archived identity values are kept, as COPY into the table would keep them (hence OVERRIDING). */
export function insertFromStageSql(target: string, columns: readonly string[]): string {
  const list = columnList(columns);
  return `INSERT INTO ${target} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM pg_temp.${STAGE_TABLE}`;
}
