/**
 * Task execution queries. task_executions is partitioned by month on started_at, so workflow_id
 * idempotency goes through task_execution_keys (one row per tenant and workflow fixing the task's
 * id and started_at, see docs/schema.md). Lists are keyset-paginated on (started_at, id).
 */
import { TASK_EXECUTIONS, TERMINAL_TASK_STATUSES } from '../../schema/tables/task-executions.js';
import { cursorTimeSql } from '../keyset.js';

/** Statuses after which a task never changes status again: `('COMPLETED', …)`. */
export const TERMINAL_STATUSES_SQL = `(${TERMINAL_TASK_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** Every column of the table (src/schema/tables/task-executions.ts), four to a line. */
const DETAIL_COLUMNS = Object.keys(TASK_EXECUTIONS.columns)
  .map((c, i) => (i > 0 && i % 4 === 0 ? `\n  t.${c}` : `t.${c}`))
  .join(', ');

// Listing rows leave out the unbounded result/response/metadata (W20: pages stay small).
const SUMMARY_COLUMNS = `t.id, t.tenant_id, t.workflow_id, t.user_id, t.session_id, t.query, t.mode, t.status,
  t.started_at, t.completed_at, t.error_message, t.total_tokens, t.total_cost_usd, t.duration_ms,
  t.model_used, t.provider, t.trigger_type, t.created_at, t.updated_at, t.cache_aware_total_tokens,
  ${cursorTimeSql('t.started_at')} AS cursor_at`;

/** Columns a write replaces while the task runs and only fills (when still NULL) once it finished. */
const TASK_FILLED_WHEN_FINISHED = [
  'user_id',
  'session_id',
  'mode',
  'completed_at',
  'result',
  'error_message',
  'duration_ms',
  'complexity_score',
  'model_used',
  'provider',
  'schedule_id',
];
/** JSON columns merged with `||`: the new keys win while the task runs, the stored ones after. */
const TASK_MERGED = ['metadata', 'response'];
/** Counters: they only grow. */
const TASK_COUNTERS = [
  'total_tokens',
  'prompt_tokens',
  'completion_tokens',
  'total_cost_usd',
  'agents_used',
  'tools_invoked',
  'cache_hits',
  'cache_read_tokens',
  'cache_creation_tokens',
  'cache_aware_total_tokens',
];
const FINISHED = `t.status IN ${TERMINAL_STATUSES_SQL}`;

/**
 * What a write to an existing task changes (SPEC P3, W6, W11) — one rule set for the store's single
 * upsert (UPSERT_TASK) and the write path's batched one (src/ingest/sql/upsert-task-executions.ts):
 * - a terminal status is never replaced; once terminal, a write only fills columns still NULL;
 * - otherwise a supplied column replaces the stored one, an absent one (NULL) keeps it;
 * - counters only grow (GREATEST); metadata and response are merged (`||`), never wiped by `{}`;
 * - query and trigger_type are fixed by the first write (a query it left empty can be filled later).
 */
export const TASK_CONFLICT_UPDATE = `ON CONFLICT (tenant_id, workflow_id, started_at) DO UPDATE SET
  ${[
    `status = CASE WHEN ${FINISHED} THEN t.status ELSE EXCLUDED.status END`,
    ...TASK_FILLED_WHEN_FINISHED.map(
      (c) =>
        `${c} = CASE WHEN ${FINISHED} THEN COALESCE(t.${c}, EXCLUDED.${c}) ELSE COALESCE(EXCLUDED.${c}, t.${c}) END`,
    ),
    `query = CASE WHEN t.query = '' THEN EXCLUDED.query ELSE t.query END`,
    ...TASK_MERGED.map(
      (c) => `${c} = CASE WHEN ${FINISHED} THEN EXCLUDED.${c} || t.${c} ELSE t.${c} || EXCLUDED.${c} END`,
    ),
    ...TASK_COUNTERS.map((c) => `${c} = GREATEST(t.${c}, EXCLUDED.${c})`),
  ].join(',\n  ')}`;

// T1/T3/T4 upsert by workflow id. The key row is claimed (or, on conflict, locked and returned) first,
// so every write of one workflow lands on the same (id, started_at) — also across months. What a write
// to an existing task changes is TASK_CONFLICT_UPDATE; the row is always returned, with the status it
// has after the write (the caller compares it with the status it asked for).
// $1 tenant, $2 workflow_id, $3 new id, $4 started_at, $5 user_id, $6 session_id, $7 query, $8 mode,
// $9 status, $10 completed_at, $11 result, $12 error_message, $13 total_tokens, $14 prompt_tokens,
// $15 completion_tokens, $16 total_cost_usd, $17 duration_ms, $18 agents_used, $19 tools_invoked,
// $20 cache_hits, $21 complexity_score, $22 metadata, $23 response, $24 model_used, $25 provider,
// $26 trigger_type, $27 schedule_id, $28 cache_read_tokens, $29 cache_creation_tokens,
// $30 cache_aware_total_tokens. `inserted`: the row carries the id generated for this call, which
// only a first write can claim (xmax is not readable through a partitioned table's RETURNING).
export const UPSERT_TASK = `
WITH claimed AS (
  INSERT INTO public.task_execution_keys AS k (tenant_id, workflow_id, task_id, started_at)
  VALUES ($1::uuid, $2::varchar, $3::uuid, COALESCE($4::timestamptz, now()))
  ON CONFLICT (tenant_id, workflow_id) DO UPDATE SET task_id = k.task_id
  RETURNING k.task_id, k.started_at
)
INSERT INTO public.task_executions AS t (
  id, started_at, tenant_id, workflow_id, user_id, session_id, query, mode, status, completed_at,
  result, error_message, total_tokens, prompt_tokens, completion_tokens, total_cost_usd, duration_ms,
  agents_used, tools_invoked, cache_hits, complexity_score, metadata, response, model_used, provider,
  trigger_type, schedule_id, cache_read_tokens, cache_creation_tokens, cache_aware_total_tokens)
SELECT c.task_id, c.started_at, $1::uuid, $2::varchar, $5::uuid, $6::varchar, COALESCE($7::text, ''),
  $8::varchar, $9::varchar, $10::timestamptz, $11::text, $12::text, COALESCE($13::int, 0),
  COALESCE($14::int, 0), COALESCE($15::int, 0), COALESCE($16::numeric, 0), $17::int,
  COALESCE($18::int, 0), COALESCE($19::int, 0), COALESCE($20::int, 0), $21::numeric,
  COALESCE($22::jsonb, '{}'), COALESCE($23::jsonb, '{}'), $24::varchar, $25::varchar,
  COALESCE($26::varchar, 'api'), $27::uuid, COALESCE($28::int, 0), COALESCE($29::int, 0),
  COALESCE($30::int, 0)
FROM claimed c
${TASK_CONFLICT_UPDATE}
RETURNING t.id, t.started_at, t.status, (t.id = $3::uuid) AS inserted`;

// T2: task by workflow id. The key table's primary key yields started_at as an init-plan value, so
// run-time partition pruning executes the scan of ONE partition (a join on started_at would probe
// every month's index).
export const SELECT_TASK_BY_WORKFLOW = `
SELECT ${DETAIL_COLUMNS}
FROM public.task_executions t
WHERE t.tenant_id = $1 AND t.workflow_id = $2
  AND t.started_at = (SELECT k.started_at FROM public.task_execution_keys k
                      WHERE k.tenant_id = $1 AND k.workflow_id = $2)`;

// T5 (W20): tenant listing newest first, keyset on (started_at, id) — no OFFSET, no COUNT, no
// COALESCE(started_at, created_at), exact status match instead of UPPER(status).
// Every T5 variant takes the same parameters: $1 tenant, $2/$3 cursor, $4 limit, $5 status,
// $6 session, $7 user (NULL = any; the planner folds the NULL tests away in per-call plans).
// task_executions_tenant_started_idx.
export const LIST_TASKS_BY_TENANT = `
SELECT ${SUMMARY_COLUMNS} FROM public.task_executions t
WHERE t.tenant_id = $1 AND (t.started_at, t.id) < ($2::timestamptz, $3::uuid)
  AND ($5::varchar IS NULL OR t.status = $5::varchar)
  AND ($6::varchar IS NULL OR t.session_id = $6::varchar)
  AND ($7::uuid IS NULL OR t.user_id = $7::uuid)
ORDER BY t.started_at DESC, t.id DESC
LIMIT $4`;

// T5 by user: task_executions_tenant_user_started_idx.
export const LIST_TASKS_BY_USER = `
SELECT ${SUMMARY_COLUMNS} FROM public.task_executions t
WHERE t.tenant_id = $1 AND t.user_id = $7::uuid AND (t.started_at, t.id) < ($2::timestamptz, $3::uuid)
  AND ($5::varchar IS NULL OR t.status = $5::varchar)
  AND ($6::varchar IS NULL OR t.session_id = $6::varchar)
ORDER BY t.started_at DESC, t.id DESC
LIMIT $4`;

// T5 by session: task_executions_tenant_session_started_idx.
export const LIST_TASKS_BY_SESSION = `
SELECT ${SUMMARY_COLUMNS} FROM public.task_executions t
WHERE t.tenant_id = $1 AND t.session_id = $6::varchar AND (t.started_at, t.id) < ($2::timestamptz, $3::uuid)
  AND ($5::varchar IS NULL OR t.status = $5::varchar)
  AND ($7::uuid IS NULL OR t.user_id = $7::uuid)
ORDER BY t.started_at DESC, t.id DESC
LIMIT $4`;

// T5 by status: task_executions_tenant_status_started_idx.
export const LIST_TASKS_BY_STATUS = `
SELECT ${SUMMARY_COLUMNS} FROM public.task_executions t
WHERE t.tenant_id = $1 AND t.status = $5::varchar AND (t.started_at, t.id) < ($2::timestamptz, $3::uuid)
  AND ($6::varchar IS NULL OR t.session_id = $6::varchar)
  AND ($7::uuid IS NULL OR t.user_id = $7::uuid)
ORDER BY t.started_at DESC, t.id DESC
LIMIT $4`;

// T6: the latest tasks of a session under any of its ids (uuid text and external id), newest first;
// task_executions_tenant_session_started_idx per id, then a small top-N sort.
export const RECENT_TASKS_OF_SESSION = `
SELECT ${DETAIL_COLUMNS} FROM public.task_executions t
WHERE t.tenant_id = $1 AND t.session_id = ANY($2::varchar[])
ORDER BY t.started_at DESC, t.id DESC
LIMIT $3`;

// T7 (W20): the session page's count / token sum / first-task metadata / latest task in ONE round
// trip instead of four; every part is served by task_executions_tenant_session_started_idx.
export const SESSION_TASK_AGGREGATES = `
SELECT a.task_count, a.total_tokens, a.cache_aware_total_tokens, a.total_cost_usd,
  a.first_started_at, a.last_started_at,
  f.metadata AS first_metadata, f.mode AS first_mode,
  l.query AS latest_query, l.status AS latest_status
FROM (
  SELECT count(*)::bigint AS task_count,
    COALESCE(sum(total_tokens), 0)::bigint AS total_tokens,
    COALESCE(sum(cache_aware_total_tokens), 0)::bigint AS cache_aware_total_tokens,
    COALESCE(sum(total_cost_usd), 0) AS total_cost_usd,
    min(started_at) AS first_started_at, max(started_at) AS last_started_at
  FROM public.task_executions
  WHERE tenant_id = $1 AND session_id = ANY($2::varchar[]) AND ($3::uuid IS NULL OR user_id = $3::uuid)
) a
LEFT JOIN LATERAL (
  SELECT metadata, mode FROM public.task_executions
  WHERE tenant_id = $1 AND session_id = ANY($2::varchar[]) AND ($3::uuid IS NULL OR user_id = $3::uuid)
  ORDER BY started_at ASC, id ASC LIMIT 1
) f ON true
LEFT JOIN LATERAL (
  SELECT query, status FROM public.task_executions
  WHERE tenant_id = $1 AND session_id = ANY($2::varchar[]) AND ($3::uuid IS NULL OR user_id = $3::uuid)
  ORDER BY started_at DESC, id DESC LIMIT 1
) l ON true`;

// T10 (W15): supervisor preferences over the LAST $4 tasks of the session or the user — two index
// range scans (session index, user index) with uuid equality instead of user_id::text, merged and
// cut to $4 before averaging (the original's LIMIT applied to the one-row aggregate).
export const SUPERVISOR_PREFERENCES = `
WITH recent AS (
  (SELECT id, started_at, length(result) AS result_length, complexity_score
   FROM public.task_executions
   WHERE tenant_id = $1 AND session_id = $2::varchar
   ORDER BY started_at DESC, id DESC LIMIT $4)
  UNION
  (SELECT id, started_at, length(result) AS result_length, complexity_score
   FROM public.task_executions
   WHERE tenant_id = $1 AND user_id = $3::uuid
   ORDER BY started_at DESC, id DESC LIMIT $4)
), last_n AS (
  SELECT * FROM recent ORDER BY started_at DESC, id DESC LIMIT $4
)
SELECT count(*)::int AS task_count, avg(result_length)::float8 AS avg_result_length,
  avg(complexity_score)::float8 AS avg_complexity_score
FROM last_n`;

// T11 (W15): strategy performance over the agents of the session's / user's last $4 tasks; the tasks
// come from the same two index scans as T10, their agent runs from agent_executions_tenant_workflow_idx.
export const SUPERVISOR_STRATEGY_PERFORMANCE = `
WITH recent AS (
  (SELECT id, started_at, workflow_id FROM public.task_executions
   WHERE tenant_id = $1 AND session_id = $2::varchar
   ORDER BY started_at DESC, id DESC LIMIT $4)
  UNION
  (SELECT id, started_at, workflow_id FROM public.task_executions
   WHERE tenant_id = $1 AND user_id = $3::uuid
   ORDER BY started_at DESC, id DESC LIMIT $4)
), last_n AS (
  SELECT workflow_id FROM recent ORDER BY started_at DESC, id DESC LIMIT $4
)
SELECT COALESCE(ae.strategy, ae.metadata->>'strategy') AS strategy,
  count(*)::int AS runs,
  count(*) FILTER (WHERE ae.state = 'COMPLETED')::int AS successes,
  avg(ae.duration_ms)::float8 AS avg_duration_ms,
  avg(ae.tokens_used)::float8 AS avg_tokens_used
FROM last_n r
JOIN public.agent_executions ae ON ae.tenant_id = $1 AND ae.workflow_id = r.workflow_id
WHERE COALESCE(ae.strategy, ae.metadata->>'strategy') IS NOT NULL
GROUP BY 1
ORDER BY runs DESC, strategy
LIMIT 20`;
