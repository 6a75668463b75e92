/**
 * Named statements of `backup create|verify|restore`. Table arguments are catalog names, quoted
 * here; nothing else reaches SQL text.
 */
import { quoteIdent } from '../finding.js';

/**
 * The tables a backup accounts for: ordinary and partitioned tables outside the system schemas,
 * partitions counted through their parent, tables owned by an extension left out (the extension's
 * own dump decides what of them is kept).
 */
export const BACKUP_TABLES_SQL = `
SELECT n.nspname AS schema_name, c.relname AS table_name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1, 2`;

/**
 * Rows and an order-independent content checksum of one table: the sum over its rows of the first
 * 60 bits of md5(row text), as a numeric (no overflow), so no sort and constant memory. A row's
 * text is the same after pg_dump and pg_restore, so equal checksums mean equal content (up to a
 * collision of 60-bit sums, which a changed row would have to hit by chance).
 */
export function tableChecksumSql(schema: string, table: string): string {
  return `SELECT count(*)::bigint AS rows,
       coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text AS checksum
  FROM ${quoteIdent(schema)}.${quoteIdent(table)} t`;
}

/** One row when the database holds any table of its own (restore needs an empty one). */
export const ANY_TABLE_SQL = `
SELECT n.nspname || '.' || c.relname AS table_name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
 LIMIT 1`;

/**
 * The cluster-wide roles the schema grants to (migrations 0001 and 0011), created when missing:
 * a dump holds the grants and policies naming them but, being one database's, not the roles.
 */
export const BACKUP_ROLES_SQL = `
DO $$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['shannon_app', 'shannon_system'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION', role_name);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, role_name, 'MEMBER') THEN
      EXECUTE format('GRANT %I TO %I', role_name, current_user);
    END IF;
  END LOOP;
END $$`;
