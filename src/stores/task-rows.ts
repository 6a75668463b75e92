/** Row shapes of task_executions as node-postgres returns them, and their mapping to store types. */
import type { Task, TaskStatus, TaskSummary } from './task-types.js';

export interface TaskSummaryRow {
  id: string;
  tenant_id: string;
  workflow_id: string;
  user_id: string | null;
  session_id: string | null;
  query: string;
  mode: string | null;
  status: TaskStatus;
  started_at: Date;
  completed_at: Date | null;
  error_message: string | null;
  total_tokens: number;
  // numeric arrives as a string (node-postgres keeps its precision)
  total_cost_usd: string;
  duration_ms: number | null;
  model_used: string | null;
  provider: string | null;
  trigger_type: string;
  created_at: Date;
  updated_at: Date;
  cache_aware_total_tokens: number;
  cursor_at: string;
}

export interface TaskRow extends Omit<TaskSummaryRow, 'cursor_at'> {
  result: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  agents_used: number;
  tools_invoked: number;
  cache_hits: number;
  complexity_score: string | null;
  metadata: Record<string, unknown>;
  response: Record<string, unknown>;
  schedule_id: string | null;
  cache_read_tokens: number;
  cache_creation_tokens: number;
}

export function toTaskSummary(row: Omit<TaskSummaryRow, 'cursor_at'>): TaskSummary {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    workflowId: row.workflow_id,
    userId: row.user_id,
    sessionId: row.session_id,
    query: row.query,
    mode: row.mode,
    status: row.status,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    errorMessage: row.error_message,
    totalTokens: row.total_tokens,
    totalCostUsd: Number(row.total_cost_usd),
    durationMs: row.duration_ms,
    modelUsed: row.model_used,
    provider: row.provider,
    triggerType: row.trigger_type,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    cacheAwareTotalTokens: row.cache_aware_total_tokens,
  };
}

export function toTask(row: TaskRow): Task {
  return {
    ...toTaskSummary(row),
    result: row.result,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    agentsUsed: row.agents_used,
    toolsInvoked: row.tools_invoked,
    cacheHits: row.cache_hits,
    complexityScore: row.complexity_score === null ? null : Number(row.complexity_score),
    metadata: row.metadata,
    response: row.response,
    scheduleId: row.schedule_id,
    cacheReadTokens: row.cache_read_tokens,
    cacheCreationTokens: row.cache_creation_tokens,
  };
}
