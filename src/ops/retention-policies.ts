/**
 * Retention policies: which tables retention archives and how long their rows are kept, and how
 * long each vector collection keeps its points. Apart from retention itself, archive restore reads
 * the default list: it restores only into these tables.
 */
import type { CollectionName } from '../memory/collections.js';

export type TenantPlan = 'free' | 'pro' | 'enterprise';

/** How long a table's rows are kept. */
export interface RetentionPolicy {
  table: string;
  /** Time column the age is read from; default the partition key, else `created_at`. */
  column?: string;
  /** Days kept by default. */
  days: number;
  /** Per-plan days; a tenant on that plan keeps its rows this long instead. */
  byPlan?: Partial<Record<TenantPlan, number>>;
  /** Use the tenant's `workspace_retention_days` (overrides the plan). */
  useWorkspaceRetention?: boolean;
  /** Remove the memory points of every collection created in the dropped months too. */
  memoryPoints?: boolean;
  /**
   * The daily usage aggregates of a dropped month go with it, as the delete trigger removes a
   * deleted task's figures: the aggregates stay equal to a recount, and a restore adds them back.
   */
  dailyAggregates?: boolean;
}

/** How long one vector collection keeps its points (by `created_at`). */
export interface MemoryRetentionPolicy {
  collection: CollectionName;
  /** Days kept by default; null keeps the points for good (unless the tenant's plan says otherwise). */
  days: number | null;
  byPlan?: Partial<Record<TenantPlan, number>>;
}

/** Tasks: 400 days (the billing ledger's period), free 90, enterprise 730. */
const TASK_DAYS = { days: 400, byPlan: { free: 90, pro: 400, enterprise: 730 } } as const;

/**
 * A task's key is kept a month longer than its task: a task partition is dropped only once it is
 * wholly past the cutoff, so a key never goes while its task is still there (a workflow re-sent
 * then would start a second task row).
 */
const KEY_MARGIN_DAYS = 31;

/**
 * Defaults: event logs 90 days (plans 30/180/365), billing ledger 400 days, agent and tool
 * executions 180, audit 365; tasks 400 (free 90, enterprise 730) and their keys a month longer;
 * sessions 30 days past their expiry or deletion (free 7, enterprise 90); session archives 90
 * days after the snapshot (free 30, enterprise 365); learning cases 365 (free 90, enterprise 730);
 * the runs of schedules as their tasks; tool calls 180.
 */
export const DEFAULT_RETENTION_POLICIES: readonly RetentionPolicy[] = Object.freeze<RetentionPolicy[]>([
  { table: 'public.event_logs', days: 90, byPlan: { free: 30, pro: 180, enterprise: 365 } },
  { table: 'public.token_usage', days: 400 },
  { table: 'public.agent_executions', days: 180 },
  { table: 'public.tool_executions', days: 180 },
  { table: 'public.audit_logs', days: 365 },
  { table: 'auth.audit_logs', days: 365 },
  { table: 'public.task_executions', ...TASK_DAYS, dailyAggregates: true },
  {
    table: 'public.task_execution_keys',
    column: 'started_at',
    days: TASK_DAYS.days + KEY_MARGIN_DAYS,
    byPlan: {
      free: TASK_DAYS.byPlan.free + KEY_MARGIN_DAYS,
      pro: TASK_DAYS.byPlan.pro + KEY_MARGIN_DAYS,
      enterprise: TASK_DAYS.byPlan.enterprise + KEY_MARGIN_DAYS,
    },
  },
  { table: 'public.sessions', column: 'expires_at', days: 30, byPlan: { free: 7, enterprise: 90 } },
  {
    table: 'public.session_archives',
    column: 'snapshot_taken_at',
    days: 90,
    byPlan: { free: 30, enterprise: 365 },
  },
  { table: 'public.learning_cases', days: 365, byPlan: { free: 90, enterprise: 730 } },
  { table: 'public.scheduled_task_executions', column: 'triggered_at', ...TASK_DAYS },
  { table: 'public.tool_calls', days: 180 },
  // The supervisor's learned patterns that grow with use (one row per decomposition and per team
  // line-up). A decomposition pattern ages from its last change (re-used ones are updated, so they
  // stay); both follow learning cases and the decomposition_patterns memory collection. The other
  // supervisor tables hold one row per user, strategy or pattern name, bounded by those.
  {
    table: 'public.decomposition_patterns',
    column: 'updated_at',
    days: 365,
    byPlan: { free: 90, enterprise: 730 },
  },
  { table: 'public.team_compositions', days: 365, byPlan: { free: 90, enterprise: 730 } },
]);

/**
 * Defaults per collection: task embeddings follow their tasks (400 days, free 90, enterprise 730),
 * tool results 180 (free 30), cases and decomposition patterns follow learning cases (365, free 90,
 * enterprise 730), summaries 365 (free 90, enterprise 730); document chunks (the RAG corpus a
 * tenant uploaded) are kept.
 */
export const DEFAULT_MEMORY_RETENTION_POLICIES: readonly MemoryRetentionPolicy[] = Object.freeze<
  MemoryRetentionPolicy[]
>([
  { collection: 'task_embeddings', days: 400, byPlan: { free: 90, enterprise: 730 } },
  { collection: 'tool_results', days: 180, byPlan: { free: 30 } },
  { collection: 'cases', days: 365, byPlan: { free: 90, enterprise: 730 } },
  { collection: 'document_chunks', days: null },
  { collection: 'summaries', days: 365, byPlan: { free: 90, enterprise: 730 } },
  { collection: 'decomposition_patterns', days: 365, byPlan: { free: 90, enterprise: 730 } },
]);
