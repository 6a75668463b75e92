/**
 * Retention policies: which tables retention archives and how long their rows are kept. Apart from
 * retention itself, archive restore reads the default list: it restores only into these tables.
 */

export type TenantPlan = 'free' | 'pro' | 'enterprise';

/** How long a table's rows are kept. */
export interface RetentionPolicy {
  table: string;
  /** Days kept by default. */
  days: number;
  /** Per-plan days; a tenant on that plan keeps its rows this long instead. */
  byPlan?: Partial<Record<TenantPlan, number>>;
  /** Use the tenant's `workspace_retention_days` (overrides the plan). */
  useWorkspaceRetention?: boolean;
  /** Remove the memory points created in the dropped months too. */
  memoryPoints?: boolean;
}

/** Defaults: logs 90 days (plans 30/180/365), billing ledger 400 days, audit 365 days. */
export const DEFAULT_RETENTION_POLICIES: readonly RetentionPolicy[] = Object.freeze([
  {
    table: 'public.event_logs',
    days: 90,
    byPlan: { free: 30, pro: 180, enterprise: 365 },
    memoryPoints: true,
  },
  { table: 'public.token_usage', days: 400 },
  { table: 'public.agent_executions', days: 180 },
  { table: 'public.tool_executions', days: 180 },
  { table: 'public.audit_logs', days: 365 },
  { table: 'auth.audit_logs', days: 365 },
]);
