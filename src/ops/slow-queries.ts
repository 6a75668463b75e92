/**
 * The statements that took the most time, read straight from pg_stat_statements (PgHero's "slow
 * queries"): available from the first look, without waiting for the doctor's delta captures.
 * Totals are since the extension's last reset (`since`), which this code never does.
 */
import type { Queryable } from '../postgres/queryable.js';
import { statementStatsState } from './extensions.js';
import { quoteIdentAlways } from './finding.js';

/** Top statements of this database by total execution time; `%s` is the extension's schema. */
export const SLOW_QUERIES_SQL = `
SELECT s.queryid::text AS queryid, s.query, s.calls::bigint AS calls, s.total_exec_time AS total_ms,
       s.mean_exec_time AS mean_ms, s.rows::bigint AS rows,
       100 * s.total_exec_time / nullif(sum(s.total_exec_time) OVER (), 0) AS percent_of_total
  FROM %s.pg_stat_statements s
 WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND s.toplevel AND s.queryid IS NOT NULL
 ORDER BY s.total_exec_time DESC
 LIMIT $1`;

export const STATEMENT_STATS_RESET_SQL = 'SELECT stats_reset FROM %s.pg_stat_statements_info';

export interface SlowQuery {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Share of this database's total execution time, in percent. */
  percentOfTotal: number;
}

export interface SlowQueriesReport {
  /** False when pg_stat_statements is missing or not preloaded (`reason` says which). */
  available: boolean;
  reason: string | null;
  /** When the counters started (the extension's last reset). */
  since: string | null;
  queries: SlowQuery[];
}

/** The `limit` statements with the most total execution time (default 20). */
export async function slowQueries(db: Queryable, limit = 20): Promise<SlowQueriesReport> {
  const state = await statementStatsState(db);
  if (!state.usable || state.schema === null)
    return { available: false, reason: state.reason, since: null, queries: [] };
  const schema = quoteIdentAlways(state.schema);
  const { rows } = await db.query<{
    queryid: string;
    query: string;
    calls: string;
    total_ms: number;
    mean_ms: number;
    rows: string;
    percent_of_total: number | null;
  }>(SLOW_QUERIES_SQL.replace('%s', schema), [limit], { operation: 'ops.slow_queries' });
  const reset = await db.query<{ stats_reset: Date | null }>(
    STATEMENT_STATS_RESET_SQL.replace('%s', schema),
    [],
    { operation: 'ops.statement_stats_reset' },
  );
  return {
    available: true,
    reason: null,
    since: reset.rows[0]?.stats_reset?.toISOString() ?? null,
    queries: rows.map((r) => ({
      queryid: r.queryid,
      query: r.query,
      calls: Number(r.calls),
      totalMs: r.total_ms,
      meanMs: r.mean_ms,
      rows: Number(r.rows),
      percentOfTotal: r.percent_of_total ?? 0,
    })),
  };
}
