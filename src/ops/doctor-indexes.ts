/**
 * Doctor checks on indexes: unused (judged against our own usage snapshots, so a statistics reset
 * or a young database never produces "unused"), exact duplicates, prefix-redundant, invalid, and
 * foreign keys without a supporting index.
 */
import type { Queryable } from '../postgres/queryable.js';
import type { DoctorThresholds } from './doctor-thresholds.js';
import { type DoctorChecks, type Finding, quoteIdent } from './finding.js';

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'shannon_ops') AND n.nspname NOT LIKE 'pg_toast%'`;

/**
 * Scan counts per index, partitions summed into their root index. Excludes PK, unique, exclusion
 * and FK-supporting indexes (they do work without being scanned).
 */
export const INDEX_USAGE_SQL = `
WITH leaf AS (
  SELECT coalesce(pg_partition_root(s.indexrelid)::oid, s.indexrelid) AS root, s.idx_scan, pg_relation_size(s.indexrelid) AS bytes
    FROM pg_stat_user_indexes s
),
usage AS (SELECT root, sum(idx_scan)::bigint AS idx_scan, sum(bytes)::bigint AS bytes FROM leaf GROUP BY root)
SELECT u.root AS indexrelid, u.root::regclass::text AS index_name, t.oid::regclass::text AS table_name,
       u.idx_scan, u.bytes, pg_get_indexdef(u.root) AS definition
  FROM usage u
  JOIN pg_index i ON i.indexrelid = u.root
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE ${USER_SCHEMAS}
   AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion
   AND NOT EXISTS (
     SELECT 1 FROM pg_constraint c
      WHERE c.contype = 'f' AND c.conrelid = i.indrelid
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] @> c.conkey
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] <@ c.conkey)`;

export const STATS_RESET_SQL = `SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()`;

export const RECORD_INDEX_USAGE_SQL = `
INSERT INTO shannon_ops.index_usage_snapshots (captured_at, indexrelid, index_name, idx_scan, stats_reset)
SELECT now(), x.indexrelid, x.index_name, x.idx_scan, $4
  FROM unnest($1::oid[], $2::text[], $3::bigint[]) AS x(indexrelid, index_name, idx_scan)
ON CONFLICT DO NOTHING`;

/** The oldest capture per index that is at least the window old and after the last stats reset. */
export const OLDEST_INDEX_SNAPSHOT_SQL = `
SELECT DISTINCT ON (indexrelid) indexrelid, idx_scan, captured_at
  FROM shannon_ops.index_usage_snapshots
 WHERE captured_at <= now() - $1::float8 * interval '1 day'
   AND ($2::timestamptz IS NULL OR captured_at >= $2::timestamptz)
 ORDER BY indexrelid, captured_at DESC`;

export const PRUNE_INDEX_SNAPSHOTS_SQL = `
DELETE FROM shannon_ops.index_usage_snapshots WHERE captured_at < now() - interval '120 days'`;

export const DUPLICATE_INDEXES_SQL = `
SELECT t.oid::regclass::text AS table_name,
       array_agg(i.indexrelid::regclass::text ORDER BY i.indisprimary DESC, i.indisunique DESC, c.relname) AS indexes,
       array_agg(i.indisunique ORDER BY i.indisprimary DESC, i.indisunique DESC, c.relname) AS uniques,
       min(pg_get_indexdef(i.indexrelid)) AS definition
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE ${USER_SCHEMAS} AND NOT c.relispartition
 GROUP BY t.oid, c.relam, i.indkey::text, i.indclass::text, i.indcollation::text,
          coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
HAVING count(*) > 1`;

/** Plain btree indexes whose column list is a strict leading prefix of another btree's. */
export const REDUNDANT_INDEXES_SQL = `
SELECT a.indexrelid::regclass::text AS index_name, b.indexrelid::regclass::text AS covered_by,
       a.indrelid::regclass::text AS table_name, pg_relation_size(a.indexrelid)::bigint AS bytes
  FROM pg_index a
  JOIN pg_index b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
  JOIN pg_class ac ON ac.oid = a.indexrelid
  JOIN pg_class bc ON bc.oid = b.indexrelid AND bc.relam = ac.relam
  JOIN pg_am am ON am.oid = ac.relam AND am.amname = 'btree'
  JOIN pg_class t ON t.oid = a.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE ${USER_SCHEMAS} AND NOT ac.relispartition
   AND NOT a.indisunique AND NOT a.indisprimary
   AND a.indexprs IS NULL AND b.indexprs IS NULL AND a.indpred IS NULL AND b.indpred IS NULL
   AND b.indisvalid
   AND b.indkey::text LIKE a.indkey::text || ' %'
   AND b.indclass::text LIKE a.indclass::text || ' %'`;

export const INVALID_INDEXES_SQL = `
SELECT i.indexrelid::regclass::text AS index_name, i.indrelid::regclass::text AS table_name,
       c.relkind::text AS relkind
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE ${USER_SCHEMAS} AND NOT i.indisvalid`;

export const NOT_VALID_CONSTRAINTS_SQL = `
SELECT c.conname AS constraint_name, c.conrelid::regclass::text AS table_name, c.contype::text AS type
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE NOT c.convalidated AND c.contype IN ('c', 'f') AND ${USER_SCHEMAS}`;

export const FK_WITHOUT_INDEX_SQL = `
SELECT c.conname AS constraint_name, c.conrelid::regclass::text AS table_name,
       array_agg(a.attname::text ORDER BY k.ord) AS columns, c.confrelid::regclass::text AS referenced
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
 WHERE c.contype = 'f' AND c.conparentid = 0 AND ${USER_SCHEMAS}
   AND NOT EXISTS (
     SELECT 1 FROM pg_index i
      WHERE i.indrelid = c.conrelid
        -- A partial index on "fk IS NOT NULL" serves the FK lookups (they never look for NULL).
        AND (i.indpred IS NULL OR pg_get_expr(i.indpred, i.indrelid) ~ '^\\(*("[^"]+"|\\w+) IS NOT NULL\\)*$')
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] @> c.conkey
        AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] <@ c.conkey)
 GROUP BY c.oid, c.conname, c.conrelid, c.confrelid`;

function shortName(qualified: string): string {
  return qualified.replace(/^.*\./, '').replace(/"/g, '');
}

/** Records index usage now and reports indexes whose scan count did not move over the window. */
export async function checkUnusedIndexes(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const usage = await db.query<{
    indexrelid: number;
    index_name: string;
    table_name: string;
    idx_scan: string;
    bytes: string;
    definition: string;
  }>(INDEX_USAGE_SQL, [], { operation: 'ops.doctor.index_usage' });
  const reset = await db.query<{ stats_reset: Date | null }>(STATS_RESET_SQL, [], {
    operation: 'ops.doctor.stats_reset',
  });
  const statsReset = reset.rows[0]?.stats_reset ?? null;
  const snapshots = await db.query<{ indexrelid: number; idx_scan: string; captured_at: Date }>(
    OLDEST_INDEX_SNAPSHOT_SQL,
    [t.unusedIndexWindowDays, statsReset],
    { operation: 'ops.doctor.index_snapshots' },
  );
  await db.query(
    RECORD_INDEX_USAGE_SQL,
    [
      usage.rows.map((r) => r.indexrelid),
      usage.rows.map((r) => r.index_name),
      usage.rows.map((r) => r.idx_scan),
      statsReset,
    ],
    { operation: 'ops.doctor.record_index_usage' },
  );
  await db.query(PRUNE_INDEX_SNAPSHOTS_SQL, [], { operation: 'ops.doctor.prune_index_snapshots' });
  const then = new Map(snapshots.rows.map((s) => [Number(s.indexrelid), s]));
  const findings: Finding[] = [];
  let judged = 0;
  for (const u of usage.rows) {
    const old = then.get(Number(u.indexrelid));
    if (old === undefined) continue;
    judged++;
    if (Number(u.idx_scan) !== Number(old.idx_scan) || Number(u.bytes) < t.unusedIndexMinBytes) continue;
    findings.push({
      code: 'INDEX_UNUSED',
      severity: 'warning',
      object: u.index_name,
      evidence: {
        table: u.table_name,
        scans_since: old.captured_at.toISOString(),
        idx_scan: Number(u.idx_scan),
        bytes: Number(u.bytes),
        definition: u.definition,
      },
      fix: `DROP INDEX CONCURRENTLY ${u.index_name}; -- after checking replicas use it neither`,
    });
  }
  if (judged === 0 && usage.rows.length > 0) {
    findings.push({
      code: 'STATS_WINDOW_SHORT',
      severity: 'info',
      object: 'database',
      evidence: { window_days: t.unusedIndexWindowDays, stats_reset: statsReset?.toISOString() ?? null },
      fix: `Run the doctor again after ${t.unusedIndexWindowDays} days; usage is being recorded now`,
    });
  }
  return findings;
}

/** Exact duplicates, prefix-redundant and invalid indexes. */
export async function checkIndexShape(db: Queryable): Promise<Finding[]> {
  const findings: Finding[] = [];
  const dups = await db.query<{
    table_name: string;
    indexes: string[];
    uniques: boolean[];
    definition: string;
  }>(DUPLICATE_INDEXES_SQL, [], { operation: 'ops.doctor.duplicate_indexes' });
  for (const d of dups.rows) {
    // Keep the first (PK/unique first): it may back a constraint; drop the others.
    for (const extra of d.indexes.slice(1)) {
      findings.push({
        code: 'INDEX_DUPLICATE',
        severity: 'warning',
        object: extra,
        evidence: { table: d.table_name, same_as: d.indexes[0]!, definition: d.definition },
        fix: `DROP INDEX CONCURRENTLY ${extra};`,
      });
    }
  }
  const redundant = await db.query<{
    index_name: string;
    covered_by: string;
    table_name: string;
    bytes: string;
  }>(REDUNDANT_INDEXES_SQL, [], { operation: 'ops.doctor.redundant_indexes' });
  const reported = new Set(findings.map((f) => f.object));
  for (const r of redundant.rows) {
    if (reported.has(r.index_name)) continue;
    reported.add(r.index_name);
    findings.push({
      code: 'INDEX_REDUNDANT',
      severity: 'warning',
      object: r.index_name,
      evidence: { table: r.table_name, covered_by: r.covered_by, bytes: Number(r.bytes) },
      fix: `DROP INDEX CONCURRENTLY ${r.index_name};`,
    });
  }
  const invalid = await db.query<{ index_name: string; table_name: string; relkind: string }>(
    INVALID_INDEXES_SQL,
    [],
    { operation: 'ops.doctor.invalid_indexes' },
  );
  for (const i of invalid.rows) {
    findings.push({
      code: 'INDEX_INVALID',
      severity: 'warning',
      object: i.index_name,
      evidence: { table: i.table_name, partitioned: i.relkind === 'I' },
      fix:
        i.relkind === 'I'
          ? `-- attach the missing partition indexes: ALTER INDEX ${i.index_name} ATTACH PARTITION <child index>;`
          : `REINDEX INDEX CONCURRENTLY ${i.index_name}; -- or DROP INDEX CONCURRENTLY ${i.index_name};`,
    });
  }
  return findings;
}

/** Foreign keys whose columns do not lead any index, and constraints never validated. */
export async function checkForeignKeys(db: Queryable): Promise<Finding[]> {
  const notValid = await db.query<{ constraint_name: string; table_name: string; type: string }>(
    NOT_VALID_CONSTRAINTS_SQL,
    [],
    {
      operation: 'ops.doctor.not_valid_constraints',
    },
  );
  const unvalidated: Finding[] = notValid.rows.map((r) => ({
    code: 'CONSTRAINT_NOT_VALID' as const,
    severity: 'warning' as const,
    object: `${r.table_name}.${r.constraint_name}`,
    evidence: { table: r.table_name, kind: r.type === 'f' ? 'foreign key' : 'check' },
    fix: `ALTER TABLE ${r.table_name} VALIDATE CONSTRAINT ${quoteIdent(r.constraint_name)}; -- takes only SHARE UPDATE EXCLUSIVE`,
  }));
  const { rows } = await db.query<{
    constraint_name: string;
    table_name: string;
    columns: string[];
    referenced: string;
  }>(FK_WITHOUT_INDEX_SQL, [], { operation: 'ops.doctor.fk_without_index' });
  return unvalidated.concat(
    rows.map((r) => ({
      code: 'FK_WITHOUT_INDEX' as const,
      severity: 'warning' as const,
      object: `${r.table_name}.${r.constraint_name}`,
      evidence: { table: r.table_name, columns: r.columns.join(', '), references: r.referenced },
      fix: `CREATE INDEX CONCURRENTLY ${shortName(r.table_name)}_${r.columns.join('_')}_idx ON ${r.table_name} (${r.columns.join(', ')});`,
    })),
  );
}

/** The index checks, run by the doctor in this order. */
export const INDEX_CHECKS: DoctorChecks = {
  unused_indexes: checkUnusedIndexes,
  index_shape: checkIndexShape,
  foreign_keys: checkForeignKeys,
};
