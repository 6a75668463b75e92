/**
 * Named statements of the online conversion to monthly partitions (partition-conversion.ts).
 * Table, view and function arguments are qualified names already quoted (`qualifiedName`, or
 * `regclass::text` from the catalog); column and new-name arguments are bare names, quoted here;
 * grantees, policy names, roles and expressions come quoted from the catalog queries below.
 */
import { quoteIdent } from '../finding.js';

/** The recorded state of the conversion of $1. */
export const CONVERSION_STATE_SQL = `
SELECT source_table, schema_name, table_name, partition_column, key_columns, state, rows_moved::bigint AS rows_moved
  FROM shannon_ops.partition_conversions WHERE source_table = $1`;

/** What decides whether table $1 can be converted by column $2. */
export const TABLE_SHAPE_SQL = `
SELECT c.oid, n.nspname AS schema_name, c.relname AS table_name, c.relkind::text AS relkind,
       (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped) AS column_type,
       (SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2) AS column_not_null,
       (SELECT array_agg(a.attname::text ORDER BY k.ord)
          FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = c.oid AND i.indisprimary) AS key_columns,
       EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = c.oid AND f.contype = 'f') AS referenced
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = to_regclass($1)`;

const columnList = (columns: readonly string[]) => columns.map(quoteIdent).join(', ');

/** `a = b.a AND …` over the key columns, `left` and `right` being row prefixes (`l.`, `OLD.`). */
function keyMatch(keys: readonly string[], left: string, right: string): string {
  return keys.map((k) => `${left}${quoteIdent(k)} = ${right}${quoteIdent(k)}`).join(' AND ');
}

/** The least value of `column` in `table` (null when empty). */
export function minValueSql(table: string, column: string): string {
  return `SELECT min(${quoteIdent(column)}) AS lo FROM ${table}`;
}

/** Definitions of the indexes of $1 that are neither unique nor the primary key. */
export const NON_UNIQUE_INDEXES_SQL = `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
      WHERE i.indrelid = $1::regclass AND NOT i.indisunique AND NOT i.indisprimary`;

export function renameTableSql(table: string, newName: string): string {
  return `ALTER TABLE ${table} RENAME TO ${quoteIdent(newName)}`;
}

/** An empty table shaped like `legacy`, range-partitioned by `column`. */
export function createPartitionedLikeSql(target: string, legacy: string, column: string): string {
  return `CREATE TABLE ${target} (LIKE ${legacy} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)
     PARTITION BY RANGE (${quoteIdent(column)})`;
}

export function addPrimaryKeySql(table: string, columns: readonly string[]): string {
  return `ALTER TABLE ${table} ADD PRIMARY KEY (${columnList(columns)})`;
}

export function createDefaultPartitionSql(partition: string, parent: string): string {
  return `CREATE TABLE ${partition} PARTITION OF ${parent} DEFAULT`;
}

/**
 * An index on `table` with the method, columns and predicate of `indexDef` (pg_get_indexdef text
 * of another table's index); PostgreSQL picks the name.
 */
export function createIndexLikeSql(table: string, indexDef: string): string {
  return `CREATE INDEX ON ${table}${indexDef.slice(indexDef.indexOf(' USING '))}`;
}

/**
 * The view that keeps the table's name during the move. security_invoker: readers through the
 * view stay subject to the tables' row-level security.
 */
export function createUnionViewSql(view: string, target: string, legacy: string): string {
  return `CREATE VIEW ${view} WITH (security_invoker = true) AS SELECT * FROM ${target} UNION ALL SELECT * FROM ${legacy}`;
}

export function grantSql(privileges: string, table: string, grantee: string): string {
  return `GRANT ${privileges} ON ${table} TO ${grantee}`;
}

export function revokeAllSql(table: string, grantee: string): string {
  return `REVOKE ALL ON ${table} FROM ${grantee}`;
}

/** The trigger function that routes writes through the view: deletes in both tables, inserts into the target. */
export function createWriteFunctionSql(
  fn: string,
  legacy: string,
  target: string,
  keys: readonly string[],
): string {
  const match = keyMatch(keys, '', 'OLD.');
  return `
    CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        -- Legacy first: it waits for a batch moving this row; the next statement takes a fresh
        -- snapshot (READ COMMITTED), so it sees and removes the row wherever the batch put it.
        DELETE FROM ${legacy} WHERE ${match};
        DELETE FROM ${target} WHERE ${match};
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ${target} SELECT NEW.*;
        RETURN NEW;
      END IF;
      RETURN OLD;
    END
    $fn$`;
}

export function createWriteTriggerSql(view: string, fn: string): string {
  return `CREATE TRIGGER conversion_write INSTEAD OF INSERT OR UPDATE OR DELETE ON ${view}
     FOR EACH ROW EXECUTE FUNCTION ${fn}()`;
}

/** Records (or restarts) the conversion: $1 source table, $2 schema, $3 name, $4 column, $5 key columns. */
export const START_CONVERSION_SQL = `INSERT INTO shannon_ops.partition_conversions (source_table, schema_name, table_name, partition_column, key_columns, state)
     VALUES ($1, $2, $3, $4, $5, 'moving')
     ON CONFLICT (source_table) DO UPDATE SET state = 'moving', rows_moved = 0, started_at = now(), updated_at = now()`;

/** Grants on table $1 other than its owner's, per grantee (PUBLIC included), as GRANT clauses. */
export const TABLE_GRANTS_SQL = `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee,
            string_agg(DISTINCT a.privilege_type, ', ') AS privileges
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
       LEFT JOIN pg_roles r ON r.oid = a.grantee
      WHERE c.oid = $1::regclass AND a.grantee <> c.relowner
      GROUP BY 1`;

/** Whether table $1 has row-level security enabled and forced. */
export const ROW_SECURITY_SQL = `SELECT relrowsecurity AS rls, relforcerowsecurity AS force FROM pg_class WHERE oid = $1::regclass`;

/** The policies of table $1 as CREATE POLICY clauses. */
export const TABLE_POLICIES_SQL = `SELECT quote_ident(p.polname) AS name, CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END AS permissive,
            CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS cmd,
            CASE WHEN p.polroles = '{0}' THEN 'PUBLIC'
                 ELSE (SELECT string_agg(quote_ident(rolname), ', ') FROM pg_roles WHERE oid = ANY (p.polroles)) END AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
       FROM pg_policy p WHERE p.polrelid = $1::regclass`;

/** A policy as TABLE_POLICIES_SQL returns it. */
export interface PolicyClauses {
  name: string;
  permissive: string;
  cmd: string;
  roles: string;
  qual: string | null;
  check: string | null;
}

export function createPolicySql(table: string, p: PolicyClauses): string {
  return (
    `CREATE POLICY ${p.name} ON ${table} AS ${p.permissive} FOR ${p.cmd} TO ${p.roles}` +
    (p.qual === null ? '' : ` USING (${p.qual})`) +
    (p.check === null ? '' : ` WITH CHECK (${p.check})`)
  );
}

/** The partitions of $1. */
export const PARTITIONS_OF_SQL = `SELECT inhrelid::regclass::text AS part FROM pg_inherits WHERE inhparent = $1::regclass`;

export function enableRowSecuritySql(table: string): string {
  return `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`;
}

export function forceRowSecuritySql(table: string): string {
  return `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`;
}

/**
 * Moves up to $1 rows, in key order, from `legacy` to `target` in one statement and adds them to
 * the progress of conversion $2. No FOR UPDATE on the batch: a row that a writer deletes or
 * updates (through the view's trigger) meanwhile is simply not found by this DELETE after its
 * re-check, so it is never moved twice, and locking 100k rows first would double the heap writes.
 */
export function moveBatchSql(legacy: string, target: string, keys: readonly string[]): string {
  const keyList = columnList(keys);
  return `WITH batch AS (SELECT ${keyList} FROM ${legacy} ORDER BY ${keyList} LIMIT $1),
          moved AS (DELETE FROM ${legacy} l USING batch b WHERE ${keyMatch(keys, 'l.', 'b.')} RETURNING l.*),
          inserted AS (INSERT INTO ${target} SELECT * FROM moved RETURNING 1),
          progress AS (UPDATE shannon_ops.partition_conversions
                          SET rows_moved = rows_moved + (SELECT count(*) FROM inserted), updated_at = now()
                        WHERE source_table = $2 RETURNING 1)
     SELECT (SELECT count(*) FROM inserted)::bigint AS moved, (SELECT count(*) FROM progress) AS p`;
}

/** The planner's estimate of the rows of $1. */
export const ESTIMATED_ROWS_SQL = `SELECT reltuples::bigint AS n FROM pg_class WHERE oid = to_regclass($1)`;

export function countRowsSql(table: string): string {
  return `SELECT count(*)::bigint AS n FROM ${table}`;
}

/** Whether `table` still holds any row. */
export function hasRowsSql(table: string): string {
  return `SELECT EXISTS (SELECT 1 FROM ${table}) AS left`;
}

export function dropViewSql(view: string): string {
  return `DROP VIEW ${view}`;
}

export function dropFunctionSql(fn: string): string {
  return `DROP FUNCTION ${fn}()`;
}

export function dropTableSql(table: string): string {
  return `DROP TABLE ${table}`;
}

/** Marks the conversion of $1 done. */
export const FINISH_CONVERSION_SQL = `UPDATE shannon_ops.partition_conversions SET state = 'done', updated_at = now() WHERE source_table = $1`;

/**
 * Column defaults of a table ($1, regclass text), as expressions. The view over the two tables
 * gets them too: an INSERT through the view without the column (a serial id) takes the default
 * before the INSTEAD OF trigger routes it.
 */
export const COLUMN_DEFAULTS_SQL = `
SELECT a.attname AS column_name, pg_get_expr(d.adbin, d.adrelid) AS expression
  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
 WHERE d.adrelid = to_regclass($1) AND NOT a.attisdropped
 ORDER BY a.attnum`;

export function setViewDefaultSql(view: string, column: string, expression: string): string {
  return `ALTER VIEW ${view} ALTER COLUMN ${quoteIdent(column)} SET DEFAULT ${expression}`;
}

/** Sequences owned by a column of a table ($1, regclass text): serial and bigserial columns. */
export const OWNED_SEQUENCES_SQL = `
SELECT s.oid::regclass::text AS sequence_name, a.attname AS column_name
  FROM pg_depend d
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
   AND d.refobjid = to_regclass($1) AND d.deptype = 'a'`;

/** Hands a sequence to the column that keeps using it, so dropping the old table leaves it alone. */
export function sequenceOwnedBySql(sequence: string, table: string, column: string): string {
  return `ALTER SEQUENCE ${sequence} OWNED BY ${table}.${quoteIdent(column)}`;
}

/**
 * Identity columns of a table ($1, regclass text): how they are generated, their sequence (as a
 * qualified name and as the view default that draws from it) and its settings, to recreate them
 * on the partitioned table.
 */
export const IDENTITY_COLUMNS_SQL = `
SELECT a.attname AS column_name, CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END AS generated,
       quote_ident(sn.nspname) || '.' || quote_ident(sc.relname) AS sequence_name,
       format('nextval(%L::regclass)', quote_ident(sn.nspname) || '.' || quote_ident(sc.relname)) AS view_default,
       s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min,
       s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle
  FROM pg_attribute a
  JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = a.attrelid
                  AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass AND d.deptype = 'i'
  JOIN pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S'
  JOIN pg_namespace sn ON sn.oid = sc.relnamespace
  JOIN pg_sequence s ON s.seqrelid = sc.oid
 WHERE a.attrelid = to_regclass($1) AND a.attidentity <> '' AND NOT a.attisdropped
 ORDER BY a.attnum`;

/** An identity column as IDENTITY_COLUMNS_SQL returns it. */
export interface IdentityColumn {
  column_name: string;
  generated: 'ALWAYS' | 'BY DEFAULT';
  sequence_name: string;
  view_default: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
}

/** Where a sequence stands (its last value and whether that value was handed out). */
export function sequenceStateSql(sequence: string): string {
  return `SELECT last_value::text AS last_value, is_called FROM ${sequence}`;
}

/**
 * Makes `column` of `table` an identity column again with the old sequence's name and settings
 * (the values are integers read from pg_sequence).
 */
export function addIdentitySql(table: string, c: IdentityColumn): string {
  return (
    `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(c.column_name)} ADD GENERATED ${c.generated} AS IDENTITY ` +
    `(SEQUENCE NAME ${c.sequence_name} START WITH ${c.start} INCREMENT BY ${c.increment} ` +
    `MINVALUE ${c.min} MAXVALUE ${c.max} CACHE ${c.cache} ${c.cycle ? 'CYCLE' : 'NO CYCLE'})`
  );
}

/** Puts sequence $1 back where another stood: $2 last value, $3 whether it was handed out. */
export const SET_SEQUENCE_SQL = `SELECT setval($1::regclass, $2::bigint, $3)`;
