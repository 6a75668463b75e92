/**
 * The doctor: runs every check against one database and returns plain JSON findings, each with a
 * stable code, severity, object, evidence and fix. A check that needs a missing extension yields an
 * EXTENSION_MISSING info finding instead of failing the run.
 */
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import { ACTIVITY_CHECKS } from './doctor-activity.js';
import { INDEX_CHECKS } from './doctor-indexes.js';
import { PARTITION_CHECKS } from './doctor-partitions.js';
import { TABLE_CHECKS } from './doctor-tables.js';
import { DEFAULT_DOCTOR_THRESHOLDS, type DoctorThresholds } from './doctor-thresholds.js';
import { explainStatement } from './explain.js';
import { statementStatsState } from './extensions.js';
import { type DoctorChecks, type Finding, type Severity, sortFindings } from './finding.js';
import { captureStatementStats, type StatementWorkload, statementWorkload } from './statement-stats.js';

/** A check contributed from outside the relational store (e.g. the vector memory's collections). */
export type ExtraCheck = () => Promise<Finding[]>;

export interface DoctorOptions {
  thresholds?: Partial<DoctorThresholds>;
  /** Extra checks, e.g. the vector store's payload-index check. */
  extraChecks?: Record<string, ExtraCheck>;
  /** Pinned connections for EXPLAIN of frequent statements; without it that check is skipped. */
  connections?: SessionSource;
  /** Called before each check (progress on a terminal). */
  onCheck?: (name: string, index: number, total: number) => void;
}

export interface DoctorReport {
  checkedAt: string;
  /** 0 when clean, 1 when any warning or critical finding exists (the CLI exit code). */
  exitCode: 0 | 1;
  summary: Record<Severity, number>;
  checks: { name: string; findings: number; error: string | null }[];
  findings: Finding[];
  /** The thresholds that differ from DEFAULT_DOCTOR_THRESHOLDS in this run (from configuration or flags). */
  thresholds: Partial<DoctorThresholds>;
}

/** Frequent statements whose generic plan sequentially scans a large table (top 20 by total time). */
async function checkFrequentSeqScans(
  workload: StatementWorkload[],
  connections: SessionSource,
  t: DoctorThresholds,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const frequent = workload
    .filter((w) => w.calls >= t.slowQueryMinCalls && !OWN_QUERIES.test(w.query))
    .slice(0, 20);
  for (const w of frequent) {
    let result: Awaited<ReturnType<typeof explainStatement>>;
    try {
      result = await explainStatement(connections, w.query, {
        largeTableRows: t.largeTableRows,
        timeoutMs: 5_000,
      });
    } catch {
      continue; // writes, utility statements and unparsable texts are not explained here
    }
    for (const scan of result.summary.seqScansOfLargeTables) {
      findings.push({
        code: 'QUERY_SEQ_SCAN',
        severity: 'warning',
        object: `queryid ${w.queryid}`,
        evidence: {
          table: scan.relation,
          table_rows: scan.tableRows,
          calls: w.calls,
          mean_ms: Math.round(w.meanMs * 100) / 100,
          filter: scan.filter,
          query: w.query.slice(0, 500),
        },
        fix: 'shannon-data advise indexes   # proposes the index and proves the cost drop with hypopg',
      });
    }
  }
  return findings;
}

const OWN_QUERIES =
  /\b(pg_catalog|information_schema|shannon_ops|pg_stat_statements|pg_stat_activity|hypopg)\b/i;

/** Slow statements from the pg_stat_statements deltas (captured now, never reset). */
async function checkSlowQueries(
  db: Queryable,
  t: DoctorThresholds,
  connections?: SessionSource,
): Promise<Finding[]> {
  const state = await statementStatsState(db);
  if (!state.usable) {
    return [
      {
        code: 'EXTENSION_MISSING',
        severity: 'info',
        object: 'pg_stat_statements',
        evidence: { installed: state.installed, reason: state.reason },
        fix: state.installed
          ? "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'; -- then restart PostgreSQL"
          : 'CREATE EXTENSION pg_stat_statements; -- needs shared_preload_libraries too',
      },
    ];
  }
  await captureStatementStats(db);
  const workload = await statementWorkload(db, t.slowQueryWindowHours, 500);
  const scans = connections === undefined ? [] : await checkFrequentSeqScans(workload, connections, t);
  const slow = workload
    .filter((w) => w.calls >= t.slowQueryMinCalls && w.meanMs >= t.slowQueryMeanMs)
    .map((w) => ({
      code: 'SLOW_QUERY' as const,
      severity: 'warning' as const,
      object: `queryid ${w.queryid}`,
      evidence: {
        calls: w.calls,
        mean_ms: Math.round(w.meanMs * 100) / 100,
        total_ms: Math.round(w.totalMs),
        since: w.since,
        query: w.query.slice(0, 500),
      },
      fix: 'shannon-data explain "<query>" --analyze; shannon-data advise indexes',
    }));
  return [...slow, ...scans];
}

/** Runs every check and returns the findings, most severe first. */
export async function runDoctor(db: Queryable, options: DoctorOptions = {}): Promise<DoctorReport> {
  const t: DoctorThresholds = { ...DEFAULT_DOCTOR_THRESHOLDS, ...options.thresholds };
  const bound = (table: DoctorChecks): Record<string, ExtraCheck> =>
    Object.fromEntries(Object.entries(table).map(([name, check]) => [name, () => check(db, t)]));
  const checks: Record<string, ExtraCheck> = {
    slow_queries: () => checkSlowQueries(db, t, options.connections),
    ...bound(ACTIVITY_CHECKS),
    ...bound(INDEX_CHECKS),
    ...bound(TABLE_CHECKS),
    ...bound(PARTITION_CHECKS),
    ...options.extraChecks,
  };
  const names = Object.keys(checks);
  const findings: Finding[] = [];
  const ran: DoctorReport['checks'] = [];
  for (const [i, name] of names.entries()) {
    options.onCheck?.(name, i, names.length);
    try {
      const found = await checks[name]!();
      findings.push(...found);
      ran.push({ name, findings: found.length, error: null });
    } catch (error) {
      // One broken check (permissions, an odd catalog state) must not hide the others' findings.
      ran.push({ name, findings: 0, error: error instanceof Error ? error.message : String(error) });
    }
  }
  const sorted = sortFindings(findings);
  const summary: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of sorted) summary[f.severity]++;
  const failedChecks = ran.some((c) => c.error !== null);
  return {
    checkedAt: new Date().toISOString(),
    exitCode: summary.critical + summary.warning > 0 || failedChecks ? 1 : 0,
    summary,
    checks: ran,
    findings: sorted,
    thresholds: Object.fromEntries(
      Object.entries(t).filter(([k, v]) => DEFAULT_DOCTOR_THRESHOLDS[k as keyof DoctorThresholds] !== v),
    ),
  };
}
