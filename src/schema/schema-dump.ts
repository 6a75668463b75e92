/**
 * A normalised, deterministic text dump of the schema built by the migrations, read from the
 * catalog: tables, columns, constraints, indexes, RLS flags and policies, functions, triggers,
 * views and comments. Monthly partitions (`*_pYYYYMM`) are left out because their names depend
 * on the date the migrations ran; the partitioned parents, their keys and default partitions stay.
 * `schema.dump.sql` beside this file is the checked-in copy; a test fails when they differ.
 */
import type { Queryable } from '../postgres/queryable.js';

export const DUMPED_SCHEMAS = ['public', 'auth'];
const MONTHLY_PARTITION = '_p[0-9]{6}$';
/** First line of the checked-in copy, so nobody edits it by hand. */
export const DUMP_HEADER =
  '-- GENERATED from the migrations by scripts/update-schema-dump.ts; do not edit (test/integration/migrator.test.ts compares it)';

const SECTIONS: Array<{ title: string; sql: string }> = [
  {
    title: 'tables',
    sql: `SELECT format('%s.%s %s%s%s%s', n.nspname, c.relname,
              CASE c.relkind WHEN 'p' THEN 'PARTITIONED BY ' || pg_get_partkeydef(c.oid) ELSE 'TABLE' END,
              CASE WHEN c.relispartition THEN ' PARTITION OF ' || (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid) || ' ' || pg_get_expr(c.relpartbound, c.oid) ELSE '' END,
              CASE WHEN c.relrowsecurity THEN ' RLS' ELSE '' END,
              CASE WHEN c.relforcerowsecurity THEN ' FORCED' ELSE '' END) AS line
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND c.relname !~ '${MONTHLY_PARTITION}'`,
  },
  {
    title: 'columns',
    sql: `SELECT format('%s.%s.%s %s%s%s', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
              CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
              COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')) AS line
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND NOT a.attisdropped
           AND NOT c.relispartition`,
  },
  {
    title: 'constraints',
    sql: `SELECT format('%s.%s %s %s', n.nspname, c.relname, regexp_replace(k.conname, '${MONTHLY_PARTITION}', ''), pg_get_constraintdef(k.oid)) AS line
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND NOT c.relispartition`,
  },
  {
    title: 'indexes',
    sql: `SELECT pg_get_indexdef(i.indexrelid) AS line
          FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND NOT c.relispartition`,
  },
  {
    title: 'policies',
    sql: `SELECT format('%s.%s %s %s TO %s USING (%s) WITH CHECK (%s)', schemaname, tablename, policyname, cmd,
              array_to_string(roles, ','), qual, with_check) AS line
          FROM pg_policies WHERE schemaname = ANY($1) AND tablename !~ '${MONTHLY_PARTITION}'`,
  },
  {
    title: 'functions',
    sql: `SELECT pg_get_functiondef(p.oid) AS line
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
  },
  {
    title: 'triggers',
    sql: `SELECT pg_get_triggerdef(t.oid) AS line
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND NOT t.tgisinternal AND NOT c.relispartition`,
  },
  {
    title: 'views',
    sql: `SELECT format('%s.%s AS %s', n.nspname, c.relname, pg_get_viewdef(c.oid)) AS line
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND c.relkind IN ('v', 'm')`,
  },
  {
    title: 'comments',
    sql: `SELECT format('%s.%s: %s', n.nspname, c.relname, d.description) AS line
          FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND d.objsubid = 0 AND c.relname !~ '${MONTHLY_PARTITION}'`,
  },
];

/** Dumps the schema as sorted lines grouped by section; identical schemas give identical text. */
export async function dumpSchema(db: Queryable, schemas: string[] = DUMPED_SCHEMAS): Promise<string> {
  const parts: string[] = [];
  for (const section of SECTIONS) {
    const { rows } = await db.query<{ line: string }>(section.sql, [schemas]);
    // Partition-derived names (constraint and index names carry the month) collapse to their parent's.
    const lines = rows.map((r) => r.line.replace(/\s+$/gm, '')).sort();
    parts.push(`-- ${section.title}\n${lines.join('\n')}`);
  }
  return `${DUMP_HEADER}\n${parts.join('\n\n')}\n`;
}
