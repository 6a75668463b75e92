/**
 * Named statements of partition maintenance, and the month-partition DDL that online conversion
 * and archive restore share with it. Table arguments are qualified names already quoted
 * (`qualifiedName`, or `regclass::text` from the catalog); column arguments are bare names, quoted
 * here; bounds are `toISOString` text.
 */
import { quoteIdent } from '../finding.js';

/** Rows of a default partition per UTC month of the partition key. */
export function defaultRowMonthsSql(defaultPartition: string, column: string): string {
  return `
SELECT date_trunc('month', ${quoteIdent(column)} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month, count(*)::bigint AS n
  FROM ONLY ${defaultPartition} GROUP BY 1 ORDER BY 1`;
}

/** The bound clause of a range partition [from, to). */
function forValuesSql(from: string, to: string): string {
  return `FOR VALUES FROM ('${from}') TO ('${to}')`;
}

export function createPartitionSql(partition: string, parent: string, from: string, to: string): string {
  return `CREATE TABLE ${partition} PARTITION OF ${parent} ${forValuesSql(from, to)}`;
}

export function createPartitionIfMissingSql(
  partition: string,
  parent: string,
  from: string,
  to: string,
): string {
  return `CREATE TABLE IF NOT EXISTS ${partition} PARTITION OF ${parent} ${forValuesSql(from, to)}`;
}

/** The default partition of $1 and its partition key column. */
export const DEFAULT_PARTITION_SQL = `
SELECT c.oid::regclass::text AS def, a.attname::text AS key
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
  JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
 WHERE i.inhparent = $1::regclass AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'`;

/** A standalone table shaped like `parent`, to fill before it is attached. */
export function createStandaloneLikeSql(table: string, parent: string): string {
  return `CREATE TABLE ${table} (LIKE ${parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`;
}

/** Moves the default partition's rows with `key` in [$1, $2) into `partition`. */
export function moveDefaultRowsSql(defaultPartition: string, partition: string, key: string): string {
  const k = quoteIdent(key);
  return `
WITH moved AS (DELETE FROM ONLY ${defaultPartition} WHERE ${k} >= $1 AND ${k} < $2 RETURNING *)
INSERT INTO ${partition} SELECT * FROM moved`;
}

export function attachPartitionSql(parent: string, partition: string, from: string, to: string): string {
  return `ALTER TABLE ${parent} ATTACH PARTITION ${partition} ${forValuesSql(from, to)}`;
}

/**
 * Gives partition $1 the row-level security of parent $2 and no direct grants, with comment $3
 * (public.shannon_prepare_partition; a no-op where the function is not installed).
 */
export const PREPARE_PARTITION_SQL = `
SELECT public.shannon_prepare_partition($1::regclass, c.relrowsecurity, $3)
  FROM pg_class c
 WHERE c.oid = $2::regclass AND to_regprocedure('public.shannon_prepare_partition(regclass,boolean,text)') IS NOT NULL`;
