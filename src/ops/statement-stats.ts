/**
 * pg_stat_statements kept as deltas in our own tables: each capture subtracts the previous
 * cumulative counters (a counter that went down means the entry was reset or evicted, so its new
 * value is the delta). The extension itself is never reset.
 */
import type { Queryable } from '../postgres/queryable.js';

/** Captures the current database's entries: writes one delta row per moved entry, updates the baseline. */
export const CAPTURE_STATEMENTS_SQL = `
WITH this_db AS (SELECT oid FROM pg_database WHERE datname = current_database()),
cur AS (
  SELECT s.dbid, s.userid, s.queryid, s.toplevel, s.query, s.calls, s.total_exec_time, s.rows,
         s.shared_blks_hit, s.shared_blks_read, s.temp_blks_written
    FROM pg_stat_statements s
   WHERE s.dbid = (SELECT oid FROM this_db) AND s.queryid IS NOT NULL
),
previous AS (
  SELECT coalesce(
    (SELECT max(captured_at) FROM shannon_ops.statement_baseline WHERE dbid = (SELECT oid FROM this_db)),
    (SELECT stats_reset FROM pg_stat_statements_info)) AS t
),
delta AS (
  SELECT cur.dbid, cur.userid, cur.queryid, cur.toplevel, cur.query,
         CASE WHEN b.calls IS NULL OR cur.calls < b.calls THEN cur.calls ELSE cur.calls - b.calls END AS calls,
         CASE WHEN b.calls IS NULL OR cur.calls < b.calls THEN cur.total_exec_time
              ELSE cur.total_exec_time - b.total_exec_time_ms END AS total_exec_time_ms,
         CASE WHEN b.calls IS NULL OR cur.calls < b.calls THEN cur.rows ELSE cur.rows - b.rows END AS rows,
         CASE WHEN b.calls IS NULL OR cur.calls < b.calls THEN cur.shared_blks_hit
              ELSE cur.shared_blks_hit - b.shared_blks_hit END AS shared_blks_hit,
         CASE WHEN b.calls IS NULL OR cur.calls < b.calls THEN cur.shared_blks_read
              ELSE cur.shared_blks_read - b.shared_blks_read END AS shared_blks_read,
         CASE WHEN b.calls IS NULL OR cur.calls < b.calls THEN cur.temp_blks_written
              ELSE cur.temp_blks_written - b.temp_blks_written END AS temp_blks_written
    FROM cur LEFT JOIN shannon_ops.statement_baseline b USING (dbid, userid, queryid, toplevel)
),
inserted AS (
  INSERT INTO shannon_ops.statement_deltas
    (interval_start, interval_end, dbid, userid, queryid, toplevel, query, calls, total_exec_time_ms, rows,
     shared_blks_hit, shared_blks_read, temp_blks_written)
  SELECT coalesce((SELECT t FROM previous), now()), now(), dbid, userid, queryid, toplevel, query, calls,
         total_exec_time_ms, rows, shared_blks_hit, shared_blks_read, temp_blks_written
    FROM delta WHERE calls > 0
  RETURNING 1
),
baseline AS (
  INSERT INTO shannon_ops.statement_baseline AS b
    (dbid, userid, queryid, toplevel, calls, total_exec_time_ms, rows, shared_blks_hit, shared_blks_read,
     temp_blks_written, captured_at)
  SELECT dbid, userid, queryid, toplevel, calls, total_exec_time, rows, shared_blks_hit, shared_blks_read,
         temp_blks_written, now()
    FROM cur
  ON CONFLICT (dbid, userid, queryid, toplevel) DO UPDATE SET
    calls = EXCLUDED.calls, total_exec_time_ms = EXCLUDED.total_exec_time_ms, rows = EXCLUDED.rows,
    shared_blks_hit = EXCLUDED.shared_blks_hit, shared_blks_read = EXCLUDED.shared_blks_read,
    temp_blks_written = EXCLUDED.temp_blks_written, captured_at = EXCLUDED.captured_at
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS moved, (SELECT count(*) FROM baseline)::int AS tracked,
       (SELECT t FROM previous) AS interval_start`;

/** Per statement over a window: summed deltas, most total time first. */
export const STATEMENT_WORKLOAD_SQL = `
SELECT queryid::text AS queryid, min(query) AS query, sum(calls)::bigint AS calls,
       sum(total_exec_time_ms) AS total_ms,
       sum(total_exec_time_ms) / nullif(sum(calls), 0) AS mean_ms,
       sum(rows)::bigint AS rows, sum(temp_blks_written)::bigint AS temp_blks_written,
       min(interval_start) AS since
  FROM shannon_ops.statement_deltas
 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND interval_end > now() - $1::float8 * interval '1 hour'
   AND toplevel
 GROUP BY queryid
 ORDER BY sum(total_exec_time_ms) DESC
 LIMIT $2`;

/** Deltas are kept 14 days (PgHero's history window); older intervals are pruned on capture. */
export const PRUNE_STATEMENT_DELTAS_SQL = `
DELETE FROM shannon_ops.statement_deltas WHERE interval_end < now() - interval '14 days'`;

export interface CaptureResult {
  moved: number;
  tracked: number;
  intervalStart: string | null;
}

export interface StatementWorkload {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  tempBlksWritten: number;
  since: string | null;
}

/** Takes one capture of pg_stat_statements for this database. Needs the extension usable. */
export async function captureStatementStats(db: Queryable): Promise<CaptureResult> {
  const { rows } = await db.query<{ moved: number; tracked: number; interval_start: Date | null }>(
    CAPTURE_STATEMENTS_SQL,
    [],
    { operation: 'ops.capture_statements' },
  );
  await db.query(PRUNE_STATEMENT_DELTAS_SQL, [], { operation: 'ops.prune_statements' });
  const r = rows[0]!;
  return { moved: r.moved, tracked: r.tracked, intervalStart: r.interval_start?.toISOString() ?? null };
}

/** Statements of the window (summed deltas), most total time first. */
export async function statementWorkload(
  db: Queryable,
  windowHours: number,
  limit = 200,
): Promise<StatementWorkload[]> {
  const { rows } = await db.query<{
    queryid: string;
    query: string;
    calls: string;
    total_ms: number;
    mean_ms: number | null;
    rows: string;
    temp_blks_written: string;
    since: Date | null;
  }>(STATEMENT_WORKLOAD_SQL, [windowHours, limit], { operation: 'ops.statement_workload' });
  return rows.map((r) => ({
    queryid: r.queryid,
    query: r.query,
    calls: Number(r.calls),
    totalMs: r.total_ms,
    meanMs: r.mean_ms ?? 0,
    rows: Number(r.rows),
    tempBlksWritten: Number(r.temp_blks_written),
    since: r.since?.toISOString() ?? null,
  }));
}
