/**
 * Task executions: upsert by workflow id where a terminal status never regresses (T1/T3/T4, P3),
 * lookup by workflow id (T2), keyset listing (T5), a session's recent tasks and aggregates (T6/T7)
 * and the supervisor-memory reads without casts (T10/T11).
 */
import { ValidationError } from '../errors/errors.js';
import { requireText, requireUuid, rethrowForeignKey } from '../validation/checks.js';
import { type Page, pageLimit, startPosition, toPage } from './keyset.js';
import * as sql from './sql/tasks.js';
import { parseTaskStatus, sessionKeys, upsertValues } from './task-input.js';
import { type TaskRow, type TaskSummaryRow, toTask, toTaskSummary } from './task-rows.js';
import type { Task, TaskStatus, TaskSummary, TaskUpsert } from './task-types.js';
import { type CallOptions, inTenant, type TenantScope } from './tenant-scope.js';

export { parseTaskStatus } from './task-input.js';
export {
  TASK_STATUSES,
  type Task,
  type TaskStatus,
  type TaskSummary,
  type TaskUpsert,
  TERMINAL_TASK_STATUSES,
} from './task-types.js';

/** Default number of tasks T10/T11 look back over. */
export const DEFAULT_SUPERVISOR_WINDOW = 100;

export interface UpsertResult {
  id: string;
  startedAt: Date;
  /** The status stored after the call (a terminal one is never replaced). */
  status: TaskStatus;
  inserted: boolean;
  /** False when the write was ignored because the task had already finished with another status. */
  applied: boolean;
}

export interface ListTasksFilter {
  userId?: string;
  sessionId?: string;
  status?: string;
  limit?: number;
  cursor?: string | null;
}

export interface SessionTaskAggregates {
  taskCount: number;
  totalTokens: number;
  cacheAwareTotalTokens: number;
  totalCostUsd: number;
  firstStartedAt: Date | null;
  lastStartedAt: Date | null;
  firstMetadata: Record<string, unknown> | null;
  firstMode: string | null;
  latestQuery: string | null;
  latestStatus: TaskStatus | null;
}

export interface StrategyPerformance {
  strategy: string;
  runs: number;
  successes: number;
  successRate: number;
  avgDurationMs: number | null;
  avgTokensUsed: number | null;
}

/** Repository of `public.task_executions`; every method is scoped to one tenant. */
export class TaskStore {
  constructor(private readonly scope: TenantScope) {}

  /**
   * T1: inserts or updates the task of `workflowId` (rules: TASK_CONFLICT_UPDATE in sql/tasks.ts).
   * Omitted fields keep their stored values; a finished task keeps its terminal status, and then
   * only fields still empty are filled (`applied: false`: the status asked for was not taken).
   * @throws ValidationError naming the bad field.
   */
  async upsert(tenantId: string, input: TaskUpsert, options: CallOptions = {}): Promise<UpsertResult> {
    requireUuid('tenantId', tenantId);
    const values = upsertValues(tenantId, input);
    const requested = values[8] as TaskStatus; // $9 of UPSERT_TASK, normalised to upper case
    const run = inTenant(
      this.scope,
      tenantId,
      'tasks.upsert',
      async (q) => {
        const { rows } = await q.query<{
          id: string;
          started_at: Date;
          status: TaskStatus;
          inserted: boolean;
        }>(sql.UPSERT_TASK, values, { operation: 'tasks.upsert' });
        const row = rows[0]!;
        return {
          id: row.id,
          startedAt: row.started_at,
          status: row.status,
          inserted: row.inserted,
          applied: row.status === requested,
        };
      },
      options,
    );
    return run.catch((error: unknown) =>
      rethrowForeignKey(error, {
        task_executions_user_fkey: 'userId',
        task_executions_schedule_fkey: 'scheduleId',
      }),
    );
  }

  /** T2: the task of a workflow, or null. */
  async getByWorkflowId(
    tenantId: string,
    workflowId: string,
    options: CallOptions = {},
  ): Promise<Task | null> {
    requireText('workflowId', workflowId);
    return inTenant(
      this.scope,
      tenantId,
      'tasks.get_by_workflow',
      async (q) => {
        const { rows } = await q.query<TaskRow>(sql.SELECT_TASK_BY_WORKFLOW, [tenantId, workflowId]);
        return rows[0] === undefined ? null : toTask(rows[0]);
      },
      { ...options, readOnly: true },
    );
  }

  /** T5: tasks newest first filtered by user, session and status; keyset pages, no total count. */
  async list(
    tenantId: string,
    filter: ListTasksFilter = {},
    options: CallOptions = {},
  ): Promise<Page<TaskSummary>> {
    const limit = pageLimit(filter.limit);
    const after = startPosition(filter.cursor);
    const userId = filter.userId === undefined ? null : requireUuid('userId', filter.userId);
    const sessionId = filter.sessionId === undefined ? null : requireText('sessionId', filter.sessionId);
    const status = filter.status === undefined ? null : parseTaskStatus('status', filter.status);
    // The most selective filter picks the index: session, then user, then status, then tenant.
    const text =
      sessionId !== null
        ? sql.LIST_TASKS_BY_SESSION
        : userId !== null
          ? sql.LIST_TASKS_BY_USER
          : status !== null
            ? sql.LIST_TASKS_BY_STATUS
            : sql.LIST_TASKS_BY_TENANT;
    const values = [tenantId, after.at, after.id, limit + 1, status, sessionId, userId];
    return inTenant(
      this.scope,
      tenantId,
      'tasks.list',
      async (q) => {
        const { rows } = await q.query<TaskSummaryRow>(text, values);
        return toPage(rows, limit, toTaskSummary);
      },
      { ...options, readOnly: true },
    );
  }

  /** T6: the latest `limit` tasks (default 5) of a session under any of its ids. */
  async recentOfSession(
    tenantId: string,
    sessionId: string | readonly string[],
    options: CallOptions & { limit?: number } = {},
  ): Promise<Task[]> {
    const keys = sessionKeys(sessionId);
    const limit = pageLimit(options.limit ?? 5);
    return inTenant(
      this.scope,
      tenantId,
      'tasks.recent_of_session',
      async (q) => {
        const { rows } = await q.query<TaskRow>(sql.RECENT_TASKS_OF_SESSION, [tenantId, keys, limit]);
        return rows.map(toTask);
      },
      { ...options, readOnly: true },
    );
  }

  /** T7: count, token and cost sums, first task's metadata and the latest task of a session. */
  async sessionAggregates(
    tenantId: string,
    sessionId: string | readonly string[],
    options: CallOptions & { userId?: string } = {},
  ): Promise<SessionTaskAggregates> {
    const keys = sessionKeys(sessionId);
    const userId = options.userId === undefined ? null : requireUuid('userId', options.userId);
    return inTenant(
      this.scope,
      tenantId,
      'tasks.session_aggregates',
      async (q) => {
        const { rows } = await q.query<Record<string, unknown>>(sql.SESSION_TASK_AGGREGATES, [
          tenantId,
          keys,
          userId,
        ]);
        const r = rows[0]!;
        return {
          taskCount: Number(r['task_count']),
          totalTokens: Number(r['total_tokens']),
          cacheAwareTotalTokens: Number(r['cache_aware_total_tokens']),
          totalCostUsd: Number(r['total_cost_usd']),
          firstStartedAt: (r['first_started_at'] as Date | null) ?? null,
          lastStartedAt: (r['last_started_at'] as Date | null) ?? null,
          firstMetadata: (r['first_metadata'] as Record<string, unknown> | null) ?? null,
          firstMode: (r['first_mode'] as string | null) ?? null,
          latestQuery: (r['latest_query'] as string | null) ?? null,
          latestStatus: (r['latest_status'] as TaskStatus | null) ?? null,
        };
      },
      { ...options, readOnly: true },
    );
  }

  /** T10: average result length and complexity over the last `window` tasks of a session or user. */
  async supervisorPreferences(
    tenantId: string,
    who: { sessionId?: string; userId?: string },
    options: CallOptions & { window?: number } = {},
  ): Promise<{ taskCount: number; avgResultLength: number | null; avgComplexityScore: number | null }> {
    const [sessionId, userId, window] = this.supervisorArgs(who, options.window);
    return inTenant(
      this.scope,
      tenantId,
      'tasks.supervisor_preferences',
      async (q) => {
        const { rows } = await q.query<{
          task_count: number;
          avg_result_length: number | null;
          avg_complexity_score: number | null;
        }>(sql.SUPERVISOR_PREFERENCES, [tenantId, sessionId, userId, window]);
        const r = rows[0]!;
        return {
          taskCount: r.task_count,
          avgResultLength: r.avg_result_length,
          avgComplexityScore: r.avg_complexity_score,
        };
      },
      { ...options, readOnly: true },
    );
  }

  /** T11: per-strategy agent results over the last `window` tasks of a session or user (top 20). */
  async supervisorStrategyPerformance(
    tenantId: string,
    who: { sessionId?: string; userId?: string },
    options: CallOptions & { window?: number } = {},
  ): Promise<StrategyPerformance[]> {
    const [sessionId, userId, window] = this.supervisorArgs(who, options.window);
    return inTenant(
      this.scope,
      tenantId,
      'tasks.supervisor_strategies',
      async (q) => {
        const { rows } = await q.query<{
          strategy: string;
          runs: number;
          successes: number;
          avg_duration_ms: number | null;
          avg_tokens_used: number | null;
        }>(sql.SUPERVISOR_STRATEGY_PERFORMANCE, [tenantId, sessionId, userId, window]);
        return rows.map((r) => ({
          strategy: r.strategy,
          runs: r.runs,
          successes: r.successes,
          successRate: r.runs === 0 ? 0 : r.successes / r.runs,
          avgDurationMs: r.avg_duration_ms,
          avgTokensUsed: r.avg_tokens_used,
        }));
      },
      { ...options, readOnly: true },
    );
  }

  private supervisorArgs(
    who: { sessionId?: string; userId?: string },
    window: number | undefined,
  ): [string | null, string | null, number] {
    const sessionId = who.sessionId === undefined ? null : requireText('sessionId', who.sessionId);
    const userId = who.userId === undefined ? null : requireUuid('userId', who.userId);
    if (sessionId === null && userId === null) {
      throw new ValidationError('sessionId', 'give a sessionId, a userId or both');
    }
    const n = window ?? DEFAULT_SUPERVISOR_WINDOW;
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new ValidationError('window', 'window must be an integer between 1 and 1000');
    }
    return [sessionId, userId, n];
  }
}
