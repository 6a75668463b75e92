/**
 * Agent executions: idempotent insert (A1) and performance over a bounded window for all candidate
 * agents in one query (A2/A3, W16), plus a workflow's agent token total (A4).
 */

import { ValidationError } from '../errors/errors.js';
import { AGENT_STATES } from '../schema/tables/agent-executions.js';
import {
  optionalCount,
  optionalDate,
  requireCount,
  requireObject,
  requireText,
  requireTimeRange,
  requireUuid,
} from '../validation/checks.js';
import { type InsertResult, insertOnce, requireIdempotencyKey } from './idempotent-insert.js';
import * as sql from './sql/agent-executions.js';
import { type CallOptions, inTenant, type TenantScope } from './tenant-scope.js';

/** Agent run states the schema accepts. */
export { AGENT_STATES } from '../schema/tables/agent-executions.js';
/** Default look-back of A2/A3 (days) and the longest window accepted. */
export const DEFAULT_PERFORMANCE_WINDOW_DAYS = 7;
export const MAX_PERFORMANCE_WINDOW_DAYS = 90;
/** Most candidate agents one A2 call may rank. */
export const MAX_AGENTS_PER_QUERY = 100;

export interface AgentExecutionInput {
  idempotencyKey: string;
  createdAt?: Date | string;
  agentId: string;
  input: string;
  output?: string | null;
  state?: string | null;
  tokensUsed?: number;
  modelUsed?: string | null;
  durationMs?: number | null;
  workflowId?: string | null;
  /** The task's uuid (task_executions.id), not its workflow id. */
  taskId?: string | null;
  errorMessage?: string | null;
  metadata?: Record<string, unknown>;
  strategy?: string | null;
}

export interface AgentPerformance {
  agentId: string;
  executions: number;
  successes: number;
  failures: number;
  successRate: number;
  avgDurationMs: number | null;
  avgTokensUsed: number | null;
  lastRunAt: Date;
}

interface PerformanceRow {
  agent_id: string;
  executions: number;
  successes: number;
  failures: number;
  avg_duration_ms: number | null;
  avg_tokens_used: number | null;
  last_run_at: Date;
}

function toPerformance(r: PerformanceRow): AgentPerformance {
  return {
    agentId: r.agent_id,
    executions: r.executions,
    successes: r.successes,
    failures: r.failures,
    successRate: r.executions === 0 ? 0 : r.successes / r.executions,
    avgDurationMs: r.avg_duration_ms,
    avgTokensUsed: r.avg_tokens_used,
    lastRunAt: r.last_run_at,
  };
}

/** The window [from, to): given, or the last DEFAULT_PERFORMANCE_WINDOW_DAYS days. */
function window(from: Date | string | undefined, to: Date | string | undefined): { from: Date; to: Date } {
  const end = to ?? new Date();
  const start =
    from ??
    new Date(
      (end instanceof Date ? end : new Date(end)).getTime() - DEFAULT_PERFORMANCE_WINDOW_DAYS * 86_400_000,
    );
  return requireTimeRange(start, end, MAX_PERFORMANCE_WINDOW_DAYS);
}

function insertValues(tenantId: string, input: AgentExecutionInput): unknown[] {
  const state = input.state == null ? null : String(input.state).toUpperCase();
  if (state !== null && !(AGENT_STATES as readonly string[]).includes(state)) {
    throw new ValidationError('state', `state must be one of ${AGENT_STATES.join(', ')}`);
  }
  if (typeof input.input !== 'string') throw new ValidationError('input', 'input must be a string');
  return [
    tenantId,
    requireIdempotencyKey(input.idempotencyKey),
    optionalDate('createdAt', input.createdAt),
    requireText('agentId', input.agentId),
    input.input,
    input.output ?? null,
    state,
    requireCount('tokensUsed', input.tokensUsed),
    input.modelUsed == null ? null : requireText('modelUsed', input.modelUsed, 100),
    optionalCount('durationMs', input.durationMs),
    input.workflowId == null ? null : requireText('workflowId', input.workflowId),
    input.taskId == null ? null : requireUuid('taskId', input.taskId),
    input.errorMessage ?? null,
    input.metadata === undefined ? null : requireObject('metadata', input.metadata),
    input.strategy == null ? null : requireText('strategy', input.strategy, 100),
  ];
}

/** Repository of `public.agent_executions`; every method is scoped to one tenant. */
export class AgentExecutionStore {
  constructor(private readonly scope: TenantScope) {}

  /** A1: records one agent run once per idempotency key. @throws ValidationError. */
  async insert(
    tenantId: string,
    input: AgentExecutionInput,
    options: CallOptions = {},
  ): Promise<InsertResult> {
    requireUuid('tenantId', tenantId);
    const values = insertValues(tenantId, input);
    return inTenant(
      this.scope,
      tenantId,
      'agents.insert',
      (q) =>
        insertOnce(
          q,
          'agent_executions',
          'agents.insert',
          sql.INSERT_AGENT_EXECUTION,
          sql.SELECT_AGENT_EXECUTION_BY_KEY,
          values,
        ),
      options,
    );
  }

  /**
   * A2: performance of every candidate agent over [from, to) (default: the last 7 days) in one
   * query; only runs of the session's workflows when `sessionId` is given. Agents without runs in
   * the window are absent. @throws ValidationError for a window over MAX_PERFORMANCE_WINDOW_DAYS.
   */
  async performance(
    tenantId: string,
    agentIds: readonly string[],
    query: { from?: Date | string; to?: Date | string; sessionId?: string } = {},
    options: CallOptions = {},
  ): Promise<AgentPerformance[]> {
    if (agentIds.length === 0 || agentIds.length > MAX_AGENTS_PER_QUERY) {
      throw new ValidationError('agentIds', `give between 1 and ${MAX_AGENTS_PER_QUERY} agent ids`);
    }
    const ids = agentIds.map((a, i) => requireText(`agentIds[${i}]`, a));
    const { from, to } = window(query.from, query.to);
    const sessionId = query.sessionId === undefined ? null : requireText('sessionId', query.sessionId);
    return inTenant(
      this.scope,
      tenantId,
      'agents.performance',
      async (q) => {
        const { rows } =
          sessionId === null
            ? await q.query<PerformanceRow>(sql.AGENT_PERFORMANCE, [tenantId, ids, from, to])
            : await q.query<PerformanceRow>(sql.AGENT_PERFORMANCE_IN_SESSION, [
                tenantId,
                ids,
                from,
                to,
                sessionId,
              ]);
        return rows.map(toPerformance);
      },
      { ...options, readOnly: true },
    );
  }

  /** A3: the tenant's agents with at least `minRuns` runs in the window, best success rate first. */
  async topAgents(
    tenantId: string,
    query: { from?: Date | string; to?: Date | string; minRuns?: number; limit?: number } = {},
    options: CallOptions = {},
  ): Promise<AgentPerformance[]> {
    const { from, to } = window(query.from, query.to);
    const minRuns = requireCount('minRuns', query.minRuns, 1);
    const limit = query.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      throw new ValidationError('limit', 'limit must be an integer between 1 and 200');
    }
    return inTenant(
      this.scope,
      tenantId,
      'agents.top',
      async (q) => {
        const { rows } = await q.query<PerformanceRow>(sql.TOP_AGENTS, [tenantId, from, to, minRuns, limit]);
        return rows.map(toPerformance);
      },
      { ...options, readOnly: true },
    );
  }

  /** A4: tokens used by all agent runs of a workflow. */
  async workflowTokens(
    tenantId: string,
    workflowId: string,
    options: CallOptions = {},
  ): Promise<{ tokensUsed: number; executions: number }> {
    requireText('workflowId', workflowId);
    return inTenant(
      this.scope,
      tenantId,
      'agents.workflow_tokens',
      async (q) => {
        const { rows } = await q.query<{ tokens_used: string; executions: number }>(
          sql.WORKFLOW_AGENT_TOKENS,
          [tenantId, workflowId],
        );
        return { tokensUsed: Number(rows[0]?.tokens_used ?? 0), executions: rows[0]?.executions ?? 0 };
      },
      { ...options, readOnly: true },
    );
  }
}
