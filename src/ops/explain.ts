/**
 * Safe EXPLAIN: one parsed statement, inside a transaction that is always rolled back (READ ONLY
 * for reads), under a statement timeout; ANALYZE only on request and required for statements that
 * write; `$n` statements get a generic plan through PREPARE + plan_cache_mode=force_generic_plan.
 * A rollback cannot undo everything, so statements calling functions outside an allow-list are
 * refused (explain-functions.ts), ANALYZE runs as the application role (no BYPASSRLS, no
 * superuser powers), and the server's error text never reaches the caller: it can quote data.
 */
import { randomUUID } from 'node:crypto';
import { DatabaseError, ShannonError, ValidationError } from '../errors/errors.js';
import { type Queryable, SESSION_DEADLINE_GRACE_MS, type SessionSource } from '../postgres/queryable.js';
import { isUuid } from '../validation/checks.js';
import { unsafeFunctions } from './explain-functions.js';
import { eachNode, type PlanNode, type PlanSummary, summarizePlan } from './plan-summary.js';
import { analyzeStatement, type StatementKind } from './sql-statement.js';

/** Default server-side statement timeout for an explained statement. */
export const DEFAULT_EXPLAIN_TIMEOUT_MS = 10_000;

export const TABLE_ROWS_SQL = `
SELECT c.relname AS name, max(c.reltuples)::float8 AS rows
  FROM pg_class c WHERE c.relname = ANY ($1::text[]) AND c.relkind IN ('r', 'm', 'p') GROUP BY c.relname`;

/** The role EXPLAIN ANALYZE runs the statement as: the application's, without BYPASSRLS. */
export const EXPLAIN_ANALYZE_ROLE = 'shannon_app';

export interface ExplainOptions {
  /** Run the statement (EXPLAIN ANALYZE, BUFFERS) as `shannon_app`; its effects are rolled back. */
  analyze?: boolean;
  /**
   * Under ANALYZE, the tenant whose rows the statement sees (row-level security, as the
   * application sees them); without it tenant tables read as empty.
   */
  tenantId?: string;
  /** Allow functions outside the allow-list (default false: such statements are refused). */
  allowFunctions?: boolean;
  timeoutMs?: number;
  largeTableRows?: number;
}

export interface ExplainResult {
  statement: string;
  kind: StatementKind;
  analyzed: boolean;
  /** Who ran the statement: the application role under ANALYZE, else the owner (plan only). */
  role: typeof EXPLAIN_ANALYZE_ROLE | 'owner';
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

/** Names of the SQLSTATEs an explained statement commonly fails with, for the withheld message. */
const SQLSTATE_NAMES: Readonly<Record<string, string>> = {
  '42601': 'syntax_error',
  '42703': 'undefined_column',
  '42P01': 'undefined_table',
  '42883': 'undefined_function',
  '42804': 'datatype_mismatch',
  '42501': `insufficient_privilege (under --analyze the statement runs as ${EXPLAIN_ANALYZE_ROLE})`,
  '25006': 'read_only_sql_transaction',
  '22P02': 'invalid_text_representation',
  '22003': 'numeric_value_out_of_range',
  '22012': 'division_by_zero',
  '21000': 'cardinality_violation',
  '57014': 'query_canceled (statement timeout: raise --timeout-ms)',
};

/**
 * The server's error without its text: messages such as `invalid input syntax for type integer:
 * "<value>"` quote values the statement read, which the caller may not be allowed to see.
 */
function withheld(error: unknown): unknown {
  if (!(error instanceof DatabaseError) || error.sqlstate === undefined) return error;
  const name = SQLSTATE_NAMES[error.sqlstate];
  return new DatabaseError(
    error.code as 'DB_UNAVAILABLE' | 'DB_TIMEOUT' | 'DB_QUERY_FAILED' | 'CONFLICT',
    `EXPLAIN failed with SQLSTATE ${error.sqlstate}${name === undefined ? '' : ` (${name})`}; the server's message is withheld because it can quote values from the database`,
    { sqlstate: error.sqlstate, details: { sqlstate: error.sqlstate } },
  );
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
 * @throws ShannonError UNSAFE_STATEMENT for several statements, non-DML, a write without `analyze`,
 * or a call of a function outside the allow-list (without `allowFunctions`); ValidationError for
 * SQL that does not parse; DatabaseError naming only the SQLSTATE when the server refuses it.
 */
export async function explainStatement(
  source: SessionSource,
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
  const unsafe = options.allowFunctions === true ? [] : unsafeFunctions(info.functions);
  if (unsafe.length > 0) {
    throw new ShannonError(
      'UNSAFE_STATEMENT',
      `the statement calls ${unsafe.join(', ')}, which explain does not run without --allow-functions (a rollback cannot undo what some functions do)`,
      { field: 'sql', details: { functions: unsafe } },
    );
  }
  if (options.tenantId !== undefined && !isUuid(options.tenantId))
    throw new ValidationError('tenantId', 'must be a UUID');
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXPLAIN_TIMEOUT_MS;
  const prepared = preparedStatementName();
  // The statement runs under its own statement_timeout (set below), which may exceed the pool's;
  // the client deadline backs that one up.
  const sessionOptions = { operation: 'ops.explain', timeoutMs: timeoutMs + SESSION_DEADLINE_GRACE_MS };
  return source.withSession(async (session) => {
    await session.query(info.kind === 'read' ? 'BEGIN READ ONLY' : 'BEGIN');
    try {
      await session.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
      if (analyze) {
        // Executed as the owner, the statement could do what the owner can (superuser, RLS
        // bypassed); as the application role it can do only what a tenant request could.
        await session.query(`SET LOCAL ROLE ${EXPLAIN_ANALYZE_ROLE}`);
        if (options.tenantId !== undefined)
          await session.query(`SELECT set_config('app.tenant_id', $1, true)`, [
            options.tenantId.toLowerCase(),
          ]);
      }
      const out = await explainInSession(session, sql, info.parameters, analyze, prepared).catch(
        (error: unknown) => {
          throw withheld(error);
        },
      );
      const tableRows = await tableRowsOf(session, out.plan);
      return {
        statement: sql,
        kind: info.kind,
        analyzed: analyze,
        role: analyze ? EXPLAIN_ANALYZE_ROLE : 'owner',
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
  }, sessionOptions);
}
