/**
 * Doctor checks on tables: sequential-scan-heavy large tables, table and btree index bloat
 * estimated from pg_stats (no extension needed), tables waiting on autovacuum, transaction-id age
 * and sequences near overflow.
 */
import type { Queryable } from '../postgres/queryable.js';
import type { DoctorThresholds } from './doctor-thresholds.js';
import type { DoctorChecks, Finding } from './finding.js';

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'shannon_ops') AND n.nspname NOT LIKE 'pg_toast%'`;

export const SEQ_SCAN_TABLES_SQL = `
SELECT s.relid::regclass::text AS table_name, s.n_live_tup::bigint AS live_rows, s.seq_scan::bigint AS seq_scan,
       s.seq_tup_read::bigint AS seq_tup_read, coalesce(s.idx_scan, 0)::bigint AS idx_scan
  FROM pg_stat_user_tables s JOIN pg_namespace n ON n.nspname = s.schemaname
 WHERE ${USER_SCHEMAS} AND s.n_live_tup >= $1 AND s.seq_scan >= $2
   AND s.seq_scan > coalesce(s.idx_scan, 0)
   AND s.seq_tup_read::float8 / s.seq_scan >= 0.1 * s.n_live_tup`;

/**
 * Expected heap pages from row count and average row width (tuple header 24 B + line pointer 4 B,
 * fillfactor honoured) against the actual page count. Only analysed tables are judged.
 */
export const TABLE_BLOAT_SQL = `
WITH widths AS (
  SELECT schemaname, tablename, sum((1 - null_frac) * avg_width) AS width
    FROM pg_stats WHERE NOT inherited GROUP BY schemaname, tablename
)
SELECT c.oid::regclass::text AS table_name, c.relpages::bigint AS pages, c.reltuples::float8 AS rows,
       w.width::float8 AS row_width,
       ceil(c.reltuples * (w.width + 28) /
            ((current_setting('block_size')::int - 24) * coalesce(
              (SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), 100) / 100
       ))::bigint AS expected_pages,
       current_setting('block_size')::int AS block_size
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN widths w ON w.schemaname = n.nspname AND w.tablename = c.relname
 WHERE c.relkind = 'r' AND ${USER_SCHEMAS} AND c.reltuples >= 0 AND c.relpages > 0`;

/** Btree leaf estimate: entries × (key width + 8 B tuple header + 4 B line pointer) at 90% fill. */
export const INDEX_BLOAT_SQL = `
WITH cols AS (
  SELECT i.indexrelid, i.indrelid, k.attnum
    FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) AS k(attnum)
   WHERE i.indexprs IS NULL
),
widths AS (
  SELECT cols.indexrelid, sum(coalesce(s.avg_width, 8)) AS width, count(s.avg_width) = count(*) AS complete
    FROM cols
    JOIN pg_attribute a ON a.attrelid = cols.indrelid AND a.attnum = cols.attnum
    JOIN pg_class t ON t.oid = cols.indrelid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    LEFT JOIN pg_stats s ON s.schemaname = tn.nspname AND s.tablename = t.relname AND s.attname = a.attname AND NOT s.inherited
   GROUP BY cols.indexrelid
)
SELECT c.oid::regclass::text AS index_name, c.relpages::bigint AS pages, c.reltuples::float8 AS entries,
       ceil(c.reltuples * (w.width + 12) / ((current_setting('block_size')::int - 24) * 0.9))::bigint + 1 AS expected_pages,
       current_setting('block_size')::int AS block_size
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'
  JOIN widths w ON w.indexrelid = c.oid AND w.complete
 WHERE c.relkind = 'i' AND ${USER_SCHEMAS} AND c.reltuples >= 0 AND c.relpages > 1`;

export const AUTOVACUUM_SQL = `
WITH t AS (
  SELECT s.relid, s.relid::regclass::text AS table_name, s.n_live_tup::bigint AS live, s.n_dead_tup::bigint AS dead,
         greatest(s.last_vacuum, s.last_autovacuum) AS last_vacuum, c.reltuples,
         coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_threshold'),
                  current_setting('autovacuum_vacuum_threshold')::float8) AS threshold,
         coalesce((SELECT option_value::float8 FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_vacuum_scale_factor'),
                  current_setting('autovacuum_vacuum_scale_factor')::float8) AS scale,
         coalesce((SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = 'autovacuum_enabled'), 'on') AS enabled
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE ${USER_SCHEMAS}
)
SELECT table_name, live, dead, last_vacuum, enabled,
       (threshold + scale * greatest(reltuples, 0))::float8 AS vacuum_at
  FROM t
 WHERE live + dead > 1000 AND dead > threshold + scale * greatest(reltuples, 0)`;

export const XID_AGE_SQL = `
SELECT c.oid::regclass::text AS table_name, age(c.relfrozenxid)::bigint AS xid_age
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm', 't') AND age(c.relfrozenxid) >= $1
 ORDER BY 2 DESC LIMIT 20`;

export const SEQUENCES_SQL = `
SELECT format('%I.%I', schemaname, sequencename) AS sequence_name, last_value::float8, max_value::float8,
       min_value::float8, increment_by::float8, data_type::text
  FROM pg_sequences
 WHERE last_value IS NOT NULL AND schemaname NOT IN ('pg_catalog', 'information_schema')`;

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Large tables read mostly by full sequential scans. */
export async function checkSeqScans(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const { rows } = await db.query<{
    table_name: string;
    live_rows: string;
    seq_scan: string;
    seq_tup_read: string;
    idx_scan: string;
  }>(SEQ_SCAN_TABLES_SQL, [t.largeTableRows, t.seqScanMinCount], { operation: 'ops.doctor.seq_scans' });
  return rows.map((r) => ({
    code: 'TABLE_SEQ_SCAN_HEAVY' as const,
    severity: 'warning' as const,
    object: r.table_name,
    evidence: {
      live_rows: Number(r.live_rows),
      seq_scan: Number(r.seq_scan),
      idx_scan: Number(r.idx_scan),
      avg_rows_per_seq_scan: Math.round(Number(r.seq_tup_read) / Number(r.seq_scan)),
    },
    fix: 'shannon-data advise indexes   # proposes and verifies the missing index with hypopg',
  }));
}

/** Table and btree index bloat from the pg_stats size estimate. */
export async function checkBloat(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const findings: Finding[] = [];
  const tables = await db.query<{
    table_name: string;
    pages: string;
    rows: number;
    row_width: number;
    expected_pages: string;
    block_size: number;
  }>(TABLE_BLOAT_SQL, [], { operation: 'ops.doctor.table_bloat' });
  for (const r of tables.rows) {
    const pages = Number(r.pages);
    const expected = Math.max(1, Number(r.expected_pages));
    const waste = (pages - expected) * r.block_size;
    if (pages / expected < t.bloatMinRatio || waste < t.bloatMinWasteBytes) continue;
    findings.push({
      code: 'TABLE_BLOAT',
      severity: 'warning',
      object: r.table_name,
      evidence: {
        pages,
        expected_pages: expected,
        ratio: round(pages / expected),
        wasted_bytes: waste,
        live_rows: r.rows,
      },
      fix: `VACUUM (ANALYZE) ${r.table_name}; -- space returns to the OS only with pg_repack -t ${r.table_name} (online) or VACUUM FULL (locks)`,
    });
  }
  const indexes = await db.query<{
    index_name: string;
    pages: string;
    entries: number;
    expected_pages: string;
    block_size: number;
  }>(INDEX_BLOAT_SQL, [], { operation: 'ops.doctor.index_bloat' });
  for (const r of indexes.rows) {
    const pages = Number(r.pages);
    const expected = Math.max(1, Number(r.expected_pages));
    const waste = (pages - expected) * r.block_size;
    if (pages / expected < t.bloatMinRatio || waste < t.bloatMinWasteBytes) continue;
    findings.push({
      code: 'INDEX_BLOAT',
      severity: 'warning',
      object: r.index_name,
      evidence: {
        pages,
        expected_pages: expected,
        ratio: round(pages / expected),
        wasted_bytes: waste,
        entries: r.entries,
      },
      fix: `REINDEX INDEX CONCURRENTLY ${r.index_name};`,
    });
  }
  return findings;
}

/** Tables over their autovacuum threshold (per-table reloptions honoured). */
export async function checkAutovacuum(db: Queryable): Promise<Finding[]> {
  const { rows } = await db.query<{
    table_name: string;
    live: string;
    dead: string;
    last_vacuum: Date | null;
    enabled: string;
    vacuum_at: number;
  }>(AUTOVACUUM_SQL, [], { operation: 'ops.doctor.autovacuum' });
  return rows.map((r) => ({
    code: 'AUTOVACUUM_PENDING' as const,
    // Just past the threshold is normal (autovacuum wakes every naptime); twice past it, or with
    // autovacuum switched off, it is falling behind.
    severity:
      r.enabled === 'off' || r.enabled === 'false' || Number(r.dead) >= 2 * r.vacuum_at
        ? ('warning' as const)
        : ('info' as const),
    object: r.table_name,
    evidence: {
      live_rows: Number(r.live),
      dead_rows: Number(r.dead),
      vacuum_threshold: Math.round(r.vacuum_at),
      last_vacuum: r.last_vacuum?.toISOString() ?? null,
      autovacuum_enabled: r.enabled,
    },
    fix:
      r.enabled === 'off' || r.enabled === 'false'
        ? `ALTER TABLE ${r.table_name} RESET (autovacuum_enabled); VACUUM (ANALYZE) ${r.table_name};`
        : `VACUUM (ANALYZE) ${r.table_name}; -- and check for long transactions holding the xmin horizon`,
  }));
}

/** Relations whose frozen-xid age approaches wraparound protection. */
export async function checkXidAge(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const { rows } = await db.query<{ table_name: string; xid_age: string }>(XID_AGE_SQL, [t.xidAgeWarn], {
    operation: 'ops.doctor.xid_age',
  });
  return rows.map((r) => ({
    code: 'XID_AGE_HIGH' as const,
    severity: Number(r.xid_age) >= t.xidAgeCritical ? ('critical' as const) : ('warning' as const),
    object: r.table_name,
    evidence: { xid_age: Number(r.xid_age), wraparound_at: 2 ** 31 },
    fix: `VACUUM (FREEZE, VERBOSE) ${r.table_name};`,
  }));
}

/** Sequences that used most of their range. */
export async function checkSequences(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const { rows } = await db.query<{
    sequence_name: string;
    last_value: number;
    max_value: number;
    min_value: number;
    increment_by: number;
    data_type: string;
  }>(SEQUENCES_SQL, [], { operation: 'ops.doctor.sequences' });
  const findings: Finding[] = [];
  for (const s of rows) {
    const used =
      s.increment_by > 0
        ? (s.last_value - s.min_value) / (s.max_value - s.min_value)
        : (s.max_value - s.last_value) / (s.max_value - s.min_value);
    if (used < t.sequenceUsedRatio) continue;
    findings.push({
      code: 'SEQUENCE_NEAR_OVERFLOW',
      severity: used >= 0.99 ? 'critical' : 'warning',
      object: s.sequence_name,
      evidence: {
        last_value: s.last_value,
        max_value: s.max_value,
        used_ratio: round(used, 4),
        type: s.data_type,
      },
      fix: `ALTER SEQUENCE ${s.sequence_name} AS bigint; -- and ALTER the owning column to bigint`,
    });
  }
  return findings;
}

/** The table checks, run by the doctor in this order. */
export const TABLE_CHECKS: DoctorChecks = {
  seq_scans: checkSeqScans,
  bloat: checkBloat,
  autovacuum: checkAutovacuum,
  xid_age: checkXidAge,
  sequences: checkSequences,
};
