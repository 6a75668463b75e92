/**
 * What `adopt shannon` copies, table by table, from a database migrated by Shannon's own
 * migrations into Shannon Data's schema (docs/shannon-compat.md). Shannon's tables are first
 * moved aside into `shannon_legacy` (from `public`) and `shannon_legacy_auth` (from `auth`); each
 * entry here says how one of our tables is filled from one of those.
 *
 * Columns of the same name are copied as they are, cast to our type (Shannon's auth tables keep
 * `timestamp` without a zone; those values are read as UTC, the zone Shannon's containers run in).
 * A NULL that our schema forbids gets the column's default. Only what differs is written out:
 * the tenant (Shannon leaves it NULL in most tables; it is taken from the row's user, task or
 * workflow, or else the default tenant, `$1` in every expression), the idempotency key (derived
 * from the row id, so a re-run or resume never adds a row twice), and renamed columns. `s` is the
 * Shannon row.
 */

/** How one of our tables is filled from one of Shannon's. */
export interface AdoptTable {
  /** Our table, schema-qualified. */
  target: string;
  /** Shannon's table after the move, schema-qualified. */
  source: string;
  /** Expressions for our columns that are not a same-named copy; `$1` is the default tenant. */
  columns?: Readonly<Record<string, string>>;
}

/** The tenant of the public user `s.<column>` (copied before every table that asks). */
const userTenant = (column: string) => `(SELECT u.tenant_id FROM public.users u WHERE u.id = s.${column})`;
/** The tenant of the task with workflow id `s.workflow_id`. */
const workflowTenant = `(SELECT k.tenant_id FROM public.task_execution_keys k WHERE k.workflow_id = s.workflow_id ORDER BY k.started_at LIMIT 1)`;
const idempotencyKey = `'shannon:' || s.id::text`;
const UUID_TEXT = `'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'`;
/** A varchar column of Shannon's that holds a uuid, or NULL when it does not. */
const uuidOrNull = (column: string) => `CASE WHEN s.${column} ~ ${UUID_TEXT} THEN s.${column}::uuid END`;
/**
 * Shannon's supervisor tables keep the user as text: a user id, or the external id of one
 * (a user id is taken as it is; an external id is looked up).
 */
const supervisorUser = `coalesce(${uuidOrNull('user_id')}, (SELECT u.id FROM public.users u WHERE u.external_id = s.user_id ORDER BY u.created_at LIMIT 1))`;
const supervisorTenant = `coalesce(${uuidOrNull('tenant_id')}, (SELECT u.tenant_id FROM public.users u WHERE u.id = ${supervisorUser}), $1)`;

/**
 * In copy order: every table is copied after the tables its tenant is looked up in.
 * `usage_daily_aggregates` is not copied: both Shannon's and our triggers derive it from
 * task_executions, and ours rebuild it while task_executions is copied.
 */
export const ADOPT_TABLES: readonly AdoptTable[] = [
  { target: 'auth.tenants', source: 'shannon_legacy_auth.tenants' },
  { target: 'auth.users', source: 'shannon_legacy_auth.users' },
  { target: 'auth.api_keys', source: 'shannon_legacy_auth.api_keys' },
  { target: 'auth.refresh_tokens', source: 'shannon_legacy_auth.refresh_tokens' },
  {
    target: 'auth.audit_logs',
    source: 'shannon_legacy_auth.audit_logs',
    // Failed logins carry no tenant in Shannon; they belong to the default tenant here.
    columns: {
      tenant_id: `coalesce(s.tenant_id, (SELECT a.tenant_id FROM auth.users a WHERE a.id = s.user_id), $1)`,
      idempotency_key: idempotencyKey,
    },
  },
  {
    target: 'public.users',
    source: 'shannon_legacy.users',
    columns: {
      tenant_id: `coalesce(s.tenant_id, (SELECT a.tenant_id FROM auth.users a WHERE a.id = s.auth_user_id), $1)`,
    },
  },
  {
    target: 'public.sessions',
    source: 'shannon_legacy.sessions',
    columns: {
      tenant_id: `coalesce(s.tenant_id, ${userTenant('user_id')}, $1)`,
      // Shannon keeps the external id in the context and may hold two live sessions for one
      // (its lookup misses, W9); the first keeps the column, the others keep it in the context
      // only, so the unique live key holds and no session is dropped.
      external_id: `CASE WHEN s.deleted_at IS NOT NULL OR s.id = (
          SELECT d.id FROM shannon_legacy.sessions d
           WHERE d.user_id IS NOT DISTINCT FROM s.user_id AND d.deleted_at IS NULL
             AND d.context->>'external_id' = s.context->>'external_id'
           ORDER BY d.created_at, d.id LIMIT 1)
        THEN s.context->>'external_id' END`,
    },
  },
  {
    target: 'public.task_executions',
    source: 'shannon_legacy.task_executions',
    columns: {
      tenant_id: `coalesce(s.tenant_id, ${userTenant('user_id')}, $1)`,
      updated_at: `coalesce(s.completed_at, s.created_at, s.started_at)`,
    },
  },
  {
    target: 'public.agent_executions',
    source: 'shannon_legacy.agent_executions',
    columns: { tenant_id: `coalesce(${workflowTenant}, $1)`, idempotency_key: idempotencyKey },
  },
  {
    target: 'public.tool_executions',
    source: 'shannon_legacy.tool_executions',
    columns: {
      tenant_id: `coalesce(${workflowTenant}, (SELECT a.tenant_id FROM public.agent_executions a WHERE a.id = s.agent_execution_id LIMIT 1), $1)`,
      idempotency_key: idempotencyKey,
    },
  },
  {
    target: 'public.token_usage',
    source: 'shannon_legacy.token_usage',
    columns: {
      tenant_id: `coalesce((SELECT t.tenant_id FROM public.task_executions t WHERE t.id = s.task_id LIMIT 1), ${userTenant('user_id')}, $1)`,
      idempotency_key: idempotencyKey,
    },
  },
  {
    target: 'public.event_logs',
    source: 'shannon_legacy.event_logs',
    columns: { tenant_id: `coalesce(${workflowTenant}, $1)`, idempotency_key: idempotencyKey },
  },
  {
    target: 'public.audit_logs',
    source: 'shannon_legacy.audit_logs',
    // Shannon's column names (its writer used others and never succeeded, W7).
    columns: {
      tenant_id: `coalesce(${userTenant('user_id')}, $1)`,
      idempotency_key: idempotencyKey,
      entity_type: 's.resource_type',
      entity_id: 's.resource_id',
      new_value: 's.changes',
    },
  },
  {
    target: 'public.session_archives',
    source: 'shannon_legacy.session_archives',
    columns: {
      tenant_id: `coalesce((SELECT x.tenant_id FROM public.sessions x WHERE x.id::text = s.session_id OR x.external_id = s.session_id ORDER BY x.created_at LIMIT 1), ${userTenant('user_id')}, $1)`,
      idempotency_key: idempotencyKey,
    },
  },
  {
    target: 'public.learning_cases',
    source: 'shannon_legacy.learning_cases',
    columns: { tenant_id: `coalesce(${userTenant('user_id')}, $1)`, idempotency_key: idempotencyKey },
  },
  {
    target: 'public.tool_calls',
    source: 'shannon_legacy.tool_calls',
    columns: {
      tenant_id: `coalesce((SELECT a.tenant_id FROM public.agent_executions a WHERE a.id = s.agent_execution_id LIMIT 1), $1)`,
    },
  },
  { target: 'public.prompts', source: 'shannon_legacy.prompts' },
  {
    target: 'public.scheduled_tasks',
    source: 'shannon_legacy.scheduled_tasks',
    columns: { tenant_id: `coalesce(s.tenant_id, ${userTenant('user_id')}, $1)` },
  },
  {
    target: 'public.scheduled_task_executions',
    source: 'shannon_legacy.scheduled_task_executions',
    columns: {
      tenant_id: `coalesce((SELECT st.tenant_id FROM public.scheduled_tasks st WHERE st.id = s.schedule_id), $1)`,
    },
  },
  ...['decomposition_patterns', 'team_compositions', 'strategy_performance', 'user_preferences'].map(
    (name): AdoptTable => ({
      target: `public.${name}`,
      source: `shannon_legacy.${name}`,
      columns: { user_id: supervisorUser, tenant_id: supervisorTenant },
    }),
  ),
  { target: 'public.failure_patterns', source: 'shannon_legacy.failure_patterns' },
];

/** Shannon's tables in `public`, moved to `shannon_legacy` (the view and functions with them). */
export const SHANNON_PUBLIC_TABLES = [
  'users',
  'sessions',
  'tool_calls',
  'prompts',
  'learning_cases',
  'token_usage',
  'audit_logs',
  'task_executions',
  'agent_executions',
  'tool_executions',
  'session_archives',
  'usage_daily_aggregates',
  'event_logs',
  'decomposition_patterns',
  'strategy_performance',
  'team_compositions',
  'failure_patterns',
  'user_preferences',
  'scheduled_tasks',
  'scheduled_task_executions',
] as const;

/** Shannon's tables in `auth`, moved to `shannon_legacy_auth`. */
export const SHANNON_AUTH_TABLES = ['tenants', 'users', 'api_keys', 'refresh_tokens', 'audit_logs'] as const;

/** Shannon's view and functions, moved with its tables so that ours can take their names. */
export const SHANNON_PUBLIC_VIEWS = ['v_schedule_execution_history'] as const;
