/**
 * Safe EXPLAIN: one parsed statement, inside a transaction that is always rolled back (READ ONLY
 * for reads), under a statement timeout; ANALYZE only on request and required for statements that
 * write; `$n` statements get a generic plan through PREPARE + plan_cache_mode=force_generic_plan.
 */
import { randomUUID } from 'node:crypto';
import { ShannonError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';
import { type ConnectionSource, withPinnedSession } from './pinned-session.js';
import { eachNode, type PlanNode, type PlanSummary, summarizePlan } from './plan-summary.js';
import { analyzeStatement, type StatementKind } from './sql-statement.js';

/** Default server-side statement timeout for an explained statement. */
export const DEFAULT_EXPLAIN_TIMEOUT_MS = 10_000;

export const TABLE_ROWS_SQL = `
SELECT c.relname AS name, max(c.reltuples)::float8 AS rows
  FROM pg_class c WHERE c.relname = ANY ($1::text[]) AND c.relkind IN ('r', 'm', 'p') GROUP BY c.relname`;

export interface ExplainOptions {
  /** Run the statement (EXPLAIN ANALYZE, BUFFERS); its effects are rolled back. */
  analyze?: boolean;
  timeoutMs?: number;
  largeTableRows?: number;
}

export interface ExplainResult {
  statement: string;
  kind: StatementKind;
  analyzed: boolean;
  /** True when `$n` parameters made this a generic plan (parameters bound to NULL). */
  genericPlan: boolean;
  parameters: number;
  executionTimeMs: number | null;
  planningTimeMs: number | null;
  summary: PlanSummary;
  plan: PlanNode;
}

/** The EXPLAIN statement text for the given options. */
function explainPrefix(analyze: boolean): string {
  return analyze ? 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)' : 'EXPLAIN (FORMAT JSON)';
}

/** Explains inside an already-open transaction on `session`; shared with the index advisor. */
export async function explainInSession(
  session: Queryable,
  sql: string,
  parameters: number,
  analyze: boolean,
  prepared: string = preparedStatementName(),
): Promise<{ plan: PlanNode; executionTimeMs: number | null; planningTimeMs: number | null }> {
  let text: string;
  if (parameters > 0) {
    await session.query(`PREPARE ${prepared} AS ${sql}`);
    await session.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
    text = `${explainPrefix(analyze)} EXECUTE ${prepared}(${Array(parameters).fill('NULL').join(', ')})`;
  } else {
    text = `${explainPrefix(analyze)} ${sql}`;
  }
  // The prepared statement outlives the transaction; the caller deallocates after its ROLLBACK.
  const { rows } = await session.query<{ 'QUERY PLAN': unknown }>(text);
  const raw = rows[0]!['QUERY PLAN'];
  const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {
    Plan: PlanNode;
    'Execution Time'?: number;
    'Planning Time'?: number;
  }[];
  return {
    plan: doc[0]!.Plan,
    executionTimeMs: doc[0]!['Execution Time'] ?? null,
    planningTimeMs: doc[0]!['Planning Time'] ?? null,
  };
}

/** A unique name for the PREPARE behind a generic plan (the caller DEALLOCATEs exactly it). */
export function preparedStatementName(): string {
  return `shannon_explain_${randomUUID().replace(/-/g, '')}`;
}

/** Drops one prepared statement; other prepared statements on the pooled connection stay. */
export async function deallocate(session: Queryable, prepared: string): Promise<void> {
  await session.query(`DEALLOCATE ${prepared}`).catch(() => undefined);
}

/** Row estimates of the relations a plan touches. */
export async function tableRowsOf(session: Queryable, plan: PlanNode): Promise<Map<string, number>> {
  const names = new Set<string>();
  eachNode(plan, (n) => {
    if (n['Relation Name'] !== undefined) names.add(n['Relation Name']);
  });
  const { rows } = await session.query<{ name: string; rows: number }>(TABLE_ROWS_SQL, [[...names]]);
  return new Map(rows.map((r) => [r.name, r.rows]));
}

/**
 * Explains one statement safely and summarises the plan.
 * @throws ShannonError UNSAFE_STATEMENT for several statements, non-DML, or a write without `analyze`;
 * ValidationError for SQL that does not parse.
 */
export async function explainStatement(
  source: ConnectionSource,
  sql: string,
  options: ExplainOptions = {},
): Promise<ExplainResult> {
  const info = await analyzeStatement(sql);
  const analyze = options.analyze ?? false;
  if (info.kind === 'write' && !analyze) {
    throw new ShannonError(
      'UNSAFE_STATEMENT',
      `${info.type} writes; explaining it needs --analyze (it then runs inside a transaction that is rolled back)`,
      { field: 'sql', details: { type: info.type } },
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXPLAIN_TIMEOUT_MS;
  const prepared = preparedStatementName();
  return withPinnedSession(source, 'ops.explain', async (session) => {
    await session.query(info.kind === 'read' ? 'BEGIN READ ONLY' : 'BEGIN');
    try {
      await session.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
      const out = await explainInSession(session, sql, info.parameters, analyze, prepared);
      const tableRows = await tableRowsOf(session, out.plan);
      return {
        statement: sql,
        kind: info.kind,
        analyzed: analyze,
        genericPlan: info.parameters > 0,
        parameters: info.parameters,
        executionTimeMs: out.executionTimeMs,
        planningTimeMs: out.planningTimeMs,
        summary: summarizePlan(out.plan, tableRows, options.largeTableRows),
        plan: out.plan,
      };
    } finally {
      // Always rolled back: an explained DELETE deletes nothing.
      await session.query('ROLLBACK');
      if (info.parameters > 0) await deallocate(session, prepared);
    }
  });
}
