/**
 * Token usage: idempotent single-record insert (U1/U5, W12), a task's totals with per-model and
 * per-agent breakdown in one query (U2/U3, W17), and the usage report by time range and user (U4).
 */
import { ValidationError } from '../errors/errors.js';
import {
  optionalAmount,
  optionalCount,
  optionalDate,
  requireCount,
  requireText,
  requireTimeRange,
  requireUuid,
} from '../validation/checks.js';
import { type InsertResult, insertOnce, requireIdempotencyKey } from './idempotent-insert.js';
import * as sql from './sql/token-usage.js';
import { type CallOptions, inTenant, type TenantScope } from './tenant-scope.js';

/** Longest time range a usage report may cover (days). */
export const MAX_USAGE_REPORT_DAYS = 366;
/** Default and largest number of rows of a usage report. */
export const DEFAULT_USAGE_REPORT_ROWS = 1000;
export const MAX_USAGE_REPORT_ROWS = 10_000;

export interface TokenUsageInput {
  /** Unique per tenant; a retry with the same key stores nothing new. */
  idempotencyKey: string;
  /** Acceptance time (default now); replays should send the original. */
  createdAt?: Date | string;
  userId?: string | null;
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Default prompt + completion. */
  totalTokens?: number;
  costUsd: number;
  /** The task's uuid; or give `workflowId` and the task is looked up. */
  taskId?: string | null;
  workflowId?: string | null;
  agentId?: string | null;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  callSequence?: number;
  /** Default prompt + completion + cache read + cache creation. */
  cacheAwareTotalTokens?: number;
}

/** Sums over a set of token_usage rows. */
export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  cacheAwareTotalTokens: number;
  costUsd: number;
}

export interface TaskUsage {
  totals: UsageTotals;
  byModel: Array<UsageTotals & { provider: string; model: string }>;
  byAgent: Array<UsageTotals & { agentId: string | null; provider: string; model: string }>;
}

export interface UsageReportRow {
  userId: string | null;
  taskId: string | null;
  provider: string;
  model: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cacheAwareTotalTokens: number;
  costUsd: number;
}

type Row = Record<string, unknown>;

function totals(r: Row): UsageTotals {
  return {
    calls: Number(r['calls'] ?? 0),
    promptTokens: Number(r['prompt_tokens'] ?? 0),
    completionTokens: Number(r['completion_tokens'] ?? 0),
    totalTokens: Number(r['total_tokens'] ?? 0),
    cacheReadTokens: Number(r['cache_read_tokens'] ?? 0),
    cacheCreationTokens: Number(r['cache_creation_tokens'] ?? 0),
    cacheAwareTotalTokens: Number(r['cache_aware_total_tokens'] ?? 0),
    costUsd: Number(r['cost_usd'] ?? 0),
  };
}

function insertValues(tenantId: string, input: TokenUsageInput): unknown[] {
  const prompt = requireCount('promptTokens', input.promptTokens);
  const completion = requireCount('completionTokens', input.completionTokens);
  const cacheRead = requireCount('cacheReadTokens', input.cacheReadTokens);
  const cacheCreation = requireCount('cacheCreationTokens', input.cacheCreationTokens);
  const cost = optionalAmount('costUsd', input.costUsd);
  if (cost === null) throw new ValidationError('costUsd', 'costUsd is required');
  return [
    tenantId,
    requireIdempotencyKey(input.idempotencyKey),
    optionalDate('createdAt', input.createdAt),
    input.userId == null ? null : requireUuid('userId', input.userId),
    requireText('provider', input.provider, 50),
    requireText('model', input.model),
    prompt,
    completion,
    optionalCount('totalTokens', input.totalTokens) ?? prompt + completion,
    cost,
    input.taskId == null ? null : requireUuid('taskId', input.taskId),
    input.workflowId == null ? null : requireText('workflowId', input.workflowId),
    input.agentId == null ? null : requireText('agentId', input.agentId),
    cacheRead,
    cacheCreation,
    requireCount('callSequence', input.callSequence),
    optionalCount('cacheAwareTotalTokens', input.cacheAwareTotalTokens) ??
      prompt + completion + cacheRead + cacheCreation,
  ];
}

/** Repository of `public.token_usage`; every method is scoped to one tenant. */
export class TokenUsageStore {
  constructor(private readonly scope: TenantScope) {}

  /** U1/U5: records one LLM call once per idempotency key. @throws ValidationError. */
  async insert(tenantId: string, input: TokenUsageInput, options: CallOptions = {}): Promise<InsertResult> {
    requireUuid('tenantId', tenantId);
    const values = insertValues(tenantId, input);
    return inTenant(
      this.scope,
      tenantId,
      'token_usage.insert',
      (q) =>
        insertOnce(
          q,
          'token_usage',
          'token_usage.insert',
          sql.INSERT_TOKEN_USAGE,
          sql.SELECT_TOKEN_USAGE_BY_KEY,
          values,
        ),
      options,
    );
  }

  /** U2/U3: a task's totals and its per-model and per-agent breakdowns (cost descending). */
  async taskUsage(
    tenantId: string,
    task: { taskId: string } | { workflowId: string },
    options: CallOptions = {},
  ): Promise<TaskUsage> {
    const taskId = 'taskId' in task ? requireUuid('taskId', task.taskId) : null;
    const workflowId = 'workflowId' in task ? requireText('workflowId', task.workflowId) : null;
    return inTenant(
      this.scope,
      tenantId,
      'token_usage.task_usage',
      async (q) => {
        const { rows } =
          taskId !== null
            ? await q.query<Row>(sql.TASK_USAGE_BY_TASK_ID, [tenantId, taskId])
            : await q.query<Row>(sql.TASK_USAGE_BY_WORKFLOW, [tenantId, workflowId]);
        const result: TaskUsage = { totals: totals({}), byModel: [], byAgent: [] };
        for (const r of rows) {
          const g = Number(r['grouping']);
          if (g === 7) result.totals = totals(r);
          else if (g === 1)
            result.byModel.push({ ...totals(r), provider: String(r['provider']), model: String(r['model']) });
          else
            result.byAgent.push({
              ...totals(r),
              agentId: (r['agent_id'] as string | null) ?? null,
              provider: String(r['provider']),
              model: String(r['model']),
            });
        }
        return result;
      },
      { ...options, readOnly: true },
    );
  }

  /**
   * U4: usage in [from, to) grouped by user, task, provider and model, costliest first; of one
   * user when `userId` is given. @throws ValidationError for a range over MAX_USAGE_REPORT_DAYS.
   */
  async usageReport(
    tenantId: string,
    query: { from: Date | string; to: Date | string; userId?: string; limit?: number },
    options: CallOptions = {},
  ): Promise<UsageReportRow[]> {
    const { from, to } = requireTimeRange(query.from, query.to, MAX_USAGE_REPORT_DAYS);
    const limit = query.limit ?? DEFAULT_USAGE_REPORT_ROWS;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_USAGE_REPORT_ROWS) {
      throw new ValidationError('limit', `limit must be an integer between 1 and ${MAX_USAGE_REPORT_ROWS}`);
    }
    const userId = query.userId === undefined ? null : requireUuid('userId', query.userId);
    return inTenant(
      this.scope,
      tenantId,
      'token_usage.report',
      async (q) => {
        const { rows } =
          userId === null
            ? await q.query<Row>(sql.USAGE_REPORT_BY_TENANT, [tenantId, from, to, limit])
            : await q.query<Row>(sql.USAGE_REPORT_BY_USER, [tenantId, from, to, userId, limit]);
        return rows.map((r) => ({
          userId: (r['user_id'] as string | null) ?? null,
          taskId: (r['task_id'] as string | null) ?? null,
          provider: String(r['provider']),
          model: String(r['model']),
          calls: Number(r['calls']),
          promptTokens: Number(r['prompt_tokens']),
          completionTokens: Number(r['completion_tokens']),
          totalTokens: Number(r['total_tokens']),
          cacheAwareTotalTokens: Number(r['cache_aware_total_tokens']),
          costUsd: Number(r['cost_usd']),
        }));
      },
      { ...options, readOnly: true },
    );
  }
}
