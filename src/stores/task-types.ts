/** Shapes of task executions as the task store accepts and returns them. */

import type { TaskStatus } from '../schema/tables/task-executions.js';

// The statuses are part of the table's definition; re-exported for the store's callers.
export { TASK_STATUSES, type TaskStatus, TERMINAL_TASK_STATUSES } from '../schema/tables/task-executions.js';

/** Input of `TaskStore.upsert`; omitted (or null) fields keep their stored values. */
export interface TaskUpsert {
  workflowId: string;
  status: string;
  /** Fixed by the first write of the workflow; later values are ignored. Default: now. */
  startedAt?: Date | string | null;
  userId?: string | null;
  /** `sessions.id` as text or the session's external id (Shannon's dual-id pattern). */
  sessionId?: string | null;
  /** Fixed by the first write that gives one. */
  query?: string | null;
  mode?: string | null;
  completedAt?: Date | string | null;
  result?: string | null;
  errorMessage?: string | null;
  /** This and the other counters only grow: a smaller value than the stored one is ignored. */
  totalTokens?: number | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  totalCostUsd?: number | null;
  durationMs?: number | null;
  agentsUsed?: number | null;
  toolsInvoked?: number | null;
  cacheHits?: number | null;
  complexityScore?: number | null;
  /** Merged into the stored metadata (top-level keys; once the task finished, stored keys win). */
  metadata?: Record<string, unknown> | null;
  /** Merged into the stored response like metadata; `{}` changes nothing. */
  response?: Record<string, unknown> | null;
  modelUsed?: string | null;
  provider?: string | null;
  /** Fixed by the first write (default `api`). */
  triggerType?: 'api' | 'schedule' | null;
  scheduleId?: string | null;
  cacheReadTokens?: number | null;
  cacheCreationTokens?: number | null;
  cacheAwareTotalTokens?: number | null;
}

/** A task as listed by T5 (without result, response and metadata). */
export interface TaskSummary {
  id: string;
  tenantId: string;
  workflowId: string;
  userId: string | null;
  sessionId: string | null;
  query: string;
  mode: string | null;
  status: TaskStatus;
  startedAt: Date;
  completedAt: Date | null;
  errorMessage: string | null;
  totalTokens: number;
  totalCostUsd: number;
  durationMs: number | null;
  modelUsed: string | null;
  provider: string | null;
  triggerType: string;
  createdAt: Date;
  updatedAt: Date;
  cacheAwareTotalTokens: number;
}

/** A full task execution row. */
export interface Task extends TaskSummary {
  result: string | null;
  promptTokens: number;
  completionTokens: number;
  agentsUsed: number;
  toolsInvoked: number;
  cacheHits: number;
  complexityScore: number | null;
  metadata: Record<string, unknown>;
  response: Record<string, unknown>;
  scheduleId: string | null;
  cacheReadTokens: number;
  cacheCreationTokens: number;
}
