/**
 * The hot queries of SPEC §4.3 as data: each entry names its pattern (S1, T5, …), the SQL constant
 * the store runs and how to build realistic parameters from a sample of the data. The hot-query
 * test EXPLAINs every entry and the query benchmark times them, so both always cover exactly the
 * SQL the stores execute.
 */
import type { Queryable } from '../postgres/queryable.js';
import { FIRST_PAGE, FIRST_PAGE_ASC } from './keyset.js';
import * as agents from './sql/agent-executions.js';
import * as events from './sql/events.js';
import { HOT_QUERY_SAMPLE } from './sql/hot-query-sample.js';
import * as sessions from './sql/sessions.js';
import * as tasks from './sql/tasks.js';
import * as usage from './sql/token-usage.js';

/** Values taken from the data that make the hot queries' parameters realistic (the busiest keys). */
export interface HotQuerySample {
  tenantId: string;
  userId: string;
  /** A session uuid with many tasks (tasks refer to it by its id as text). */
  sessionId: string;
  /** A live session's external id. */
  externalSessionId: string;
  workflowId: string;
  /** Up to 5 workflows of the session (E3). */
  sessionWorkflowIds: string[];
  agentIds: string[];
  /** Cursor position deep inside the tenant's task list (the original's OFFSET 10000 case). */
  deepCursor: { at: string; id: string };
  now: Date;
}

/**
 * The acceptance data set (seed generator options): 200k tasks, about 1.1M events (2–9 per task),
 * 20k sessions over 10 tenants of 50 users, four months. The hot-query test and `bench queries`
 * default to it.
 */
export const HOT_QUERY_DATA_SET = {
  tenants: 10,
  usersPerTenant: 50,
  sessions: 20_000,
  tasks: 200_000,
  eventsPerTask: 5.5,
  tokenUsagePerTask: 1,
  agentExecutionsPerTask: 1,
  toolExecutionsPerAgent: 0,
  months: 4,
  seed: 'hot-queries',
};

export interface HotQuery {
  /** Pattern ids from the inventory (`T5`, `U2/U3`), plus a variant suffix. */
  id: string;
  title: string;
  sql: string;
  params: (s: HotQuerySample) => unknown[];
}

const DAY_MS = 86_400_000;
/** The time `days` before the sample's `now`. */
export const ago = (s: HotQuerySample, days: number) => new Date(s.now.getTime() - days * DAY_MS);

/** Every read hot query with the parameters the stores would pass. */
export const HOT_QUERIES: readonly HotQuery[] = [
  {
    id: 'S1',
    title: 'session by uuid',
    sql: sessions.SELECT_SESSION_BY_ID,
    params: (s) => [s.tenantId, s.sessionId],
  },
  {
    id: 'S2',
    title: 'session by external id',
    sql: sessions.SELECT_SESSION_BY_EXTERNAL_ID,
    params: (s) => [s.tenantId, s.externalSessionId, null],
  },
  {
    id: 'S3',
    title: "user's sessions, newest first (page 1)",
    sql: sessions.LIST_SESSIONS_BY_USER,
    params: (s) => [s.tenantId, s.userId, FIRST_PAGE.at, FIRST_PAGE.id, 21],
  },
  {
    id: 'S5',
    title: "tenant's sessions, newest first (page 1)",
    sql: sessions.LIST_SESSIONS_BY_TENANT,
    params: (s) => [s.tenantId, FIRST_PAGE.at, FIRST_PAGE.id, 21],
  },
  {
    id: 'S6',
    title: 'live sessions of a tenant (count)',
    sql: sessions.COUNT_LIVE_SESSIONS,
    params: (s) => [s.tenantId],
  },
  {
    id: 'T2',
    title: 'task by workflow id',
    sql: tasks.SELECT_TASK_BY_WORKFLOW,
    params: (s) => [s.tenantId, s.workflowId],
  },
  {
    id: 'T5-tenant',
    title: 'tasks of a tenant (page 1)',
    sql: tasks.LIST_TASKS_BY_TENANT,
    params: (s) => [s.tenantId, FIRST_PAGE.at, FIRST_PAGE.id, 21, null, null, null],
  },
  {
    id: 'T5-deep',
    title: 'tasks of a tenant (page after 10,000 rows)',
    sql: tasks.LIST_TASKS_BY_TENANT,
    params: (s) => [s.tenantId, s.deepCursor.at, s.deepCursor.id, 21, null, null, null],
  },
  {
    id: 'T5-user',
    title: 'tasks of a user (page 1)',
    sql: tasks.LIST_TASKS_BY_USER,
    params: (s) => [s.tenantId, FIRST_PAGE.at, FIRST_PAGE.id, 21, null, null, s.userId],
  },
  {
    id: 'T5-session',
    title: 'tasks of a session (page 1)',
    sql: tasks.LIST_TASKS_BY_SESSION,
    params: (s) => [s.tenantId, FIRST_PAGE.at, FIRST_PAGE.id, 21, null, s.sessionId, null],
  },
  {
    id: 'T5-status',
    title: 'failed tasks of a tenant (page 1)',
    sql: tasks.LIST_TASKS_BY_STATUS,
    params: (s) => [s.tenantId, FIRST_PAGE.at, FIRST_PAGE.id, 21, 'FAILED', null, null],
  },
  {
    id: 'T6',
    title: 'recent tasks of a session',
    sql: tasks.RECENT_TASKS_OF_SESSION,
    params: (s) => [s.tenantId, [s.sessionId], 5],
  },
  {
    id: 'T7',
    title: 'session aggregates (one round trip)',
    sql: tasks.SESSION_TASK_AGGREGATES,
    params: (s) => [s.tenantId, [s.sessionId], s.userId],
  },
  {
    id: 'T10',
    title: 'supervisor preferences (session or user, last 100 tasks)',
    sql: tasks.SUPERVISOR_PREFERENCES,
    params: (s) => [s.tenantId, s.sessionId, s.userId, 100],
  },
  {
    id: 'T11',
    title: 'supervisor strategy performance',
    sql: tasks.SUPERVISOR_STRATEGY_PERFORMANCE,
    params: (s) => [s.tenantId, s.sessionId, s.userId, 100],
  },
  {
    id: 'U2/U3',
    title: 'token usage of a task: totals, per model, per agent',
    sql: usage.TASK_USAGE_BY_WORKFLOW,
    params: (s) => [s.tenantId, s.workflowId],
  },
  {
    id: 'U4-user',
    title: 'usage report of a user, 30 days',
    sql: usage.USAGE_REPORT_BY_USER,
    params: (s) => [s.tenantId, ago(s, 30), s.now, s.userId, 1000],
  },
  {
    id: 'U4-tenant',
    title: 'usage report of a tenant, 1 day',
    sql: usage.USAGE_REPORT_BY_TENANT,
    params: (s) => [s.tenantId, ago(s, 1), s.now, 1000],
  },
  {
    id: 'E2',
    title: 'events of a workflow in order (page 1)',
    sql: events.LIST_WORKFLOW_EVENTS,
    params: (s) => [s.tenantId, s.workflowId, FIRST_PAGE_ASC.at, FIRST_PAGE_ASC.id, 51],
  },
  {
    id: 'E3',
    title: "events of a session's workflows in order",
    sql: events.LIST_EVENTS_OF_WORKFLOWS,
    params: (s) => [
      s.tenantId,
      s.sessionWorkflowIds,
      FIRST_PAGE_ASC.at,
      FIRST_PAGE_ASC.id,
      201,
      ['LLM_PARTIAL'],
    ],
  },
  {
    id: 'A2',
    title: 'performance of candidate agents, 7 days',
    sql: agents.AGENT_PERFORMANCE,
    params: (s) => [s.tenantId, s.agentIds, ago(s, 7), s.now],
  },
  {
    id: 'A2-session',
    title: 'performance of candidate agents within a session, 7 days',
    sql: agents.AGENT_PERFORMANCE_IN_SESSION,
    params: (s) => [s.tenantId, s.agentIds, ago(s, 7), s.now, s.sessionId],
  },
  {
    id: 'A3',
    title: "tenant's top agents by success rate, 7 days",
    sql: agents.TOP_AGENTS,
    params: (s) => [s.tenantId, ago(s, 7), s.now, 1, 20],
  },
  {
    id: 'A4',
    title: 'agent tokens of a workflow',
    sql: agents.WORKFLOW_AGENT_TOKENS,
    params: (s) => [s.tenantId, s.workflowId],
  },
];

/**
 * Picks the sample from the data: the busiest tenant, its busiest user and session, a workflow of
 * that session. Runs as the owner (it reads across tenants); returns null on an empty database.
 */
export async function pickHotQuerySample(db: Queryable): Promise<HotQuerySample | null> {
  const { rows } = await db.query<{
    tenant_id: string;
    user_id: string;
    session_id: string;
    external_session_id: string;
    workflow_id: string;
    session_workflow_ids: string[];
    agent_ids: string[];
    deep_at: string | null;
    deep_id: string | null;
  }>(HOT_QUERY_SAMPLE, [], { operation: 'hot_queries.sample', timeoutMs: 120_000 });
  const r = rows[0];
  if (r === undefined || r.tenant_id === null) return null;
  return {
    tenantId: r.tenant_id,
    userId: r.user_id,
    sessionId: r.session_id,
    externalSessionId: r.external_session_id ?? 'none',
    workflowId: r.workflow_id,
    sessionWorkflowIds: r.session_workflow_ids,
    agentIds: r.agent_ids.length > 0 ? r.agent_ids : ['agent-1'],
    deepCursor:
      r.deep_at !== null && r.deep_id !== null ? { at: r.deep_at, id: r.deep_id } : { ...FIRST_PAGE },
    now: new Date(),
  };
}
