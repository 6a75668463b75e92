/** Agent execution queries (A1–A4). agent_executions is partitioned by month on created_at. */

// A1: idempotent insert (the original failed with a duplicate key on a retry).
// $1 tenant, $2 key, $3 created_at, $4 agent_id, $5 input, $6 output, $7 state, $8 tokens_used,
// $9 model_used, $10 duration_ms, $11 workflow_id, $12 task_id, $13 error_message, $14 metadata,
// $15 strategy.
export const INSERT_AGENT_EXECUTION = `
INSERT INTO public.agent_executions (tenant_id, idempotency_key, created_at, agent_id, input, output,
  state, tokens_used, model_used, duration_ms, workflow_id, task_id, error_message, metadata, strategy)
SELECT $1::uuid, $2::text, COALESCE($3::timestamptz, now()), $4::varchar, $5::text, $6::text,
  $7::varchar, $8::int, $9::varchar, $10::bigint, $11::varchar, $12::uuid, $13::text,
  COALESCE($14::jsonb, '{}'), $15::varchar
WHERE NOT EXISTS (
  SELECT 1 FROM public.agent_executions WHERE tenant_id = $1::uuid AND idempotency_key = $2::text)
ON CONFLICT (tenant_id, idempotency_key, created_at) DO NOTHING
RETURNING id, created_at`;

// Replay of A1.
export const SELECT_AGENT_EXECUTION_BY_KEY = `
SELECT id, created_at FROM public.agent_executions WHERE tenant_id = $1 AND idempotency_key = $2 LIMIT 1`;

const PERFORMANCE_COLUMNS = `agent_id,
  count(*)::int AS executions,
  count(*) FILTER (WHERE state = 'COMPLETED')::int AS successes,
  count(*) FILTER (WHERE state IN ('FAILED', 'TIMEOUT'))::int AS failures,
  avg(duration_ms)::float8 AS avg_duration_ms,
  avg(tokens_used)::float8 AS avg_tokens_used,
  max(created_at) AS last_run_at`;

// A2 (W16): the performance of ALL candidate agents in one query over a bounded window [$3, $4)
// (the original ran one unbounded full-history aggregate per subtask). agent_executions_tenant_agent_created_idx.
export const AGENT_PERFORMANCE = `
SELECT ${PERFORMANCE_COLUMNS}
FROM public.agent_executions
WHERE tenant_id = $1 AND agent_id = ANY($2::varchar[])
  AND created_at >= $3::timestamptz AND created_at < $4::timestamptz
GROUP BY agent_id
ORDER BY agent_id`;

// A2 with the session filter: only runs of the session's workflows (tasks from
// task_executions_tenant_session_started_idx, runs from the agent index above). $5 session id.
export const AGENT_PERFORMANCE_IN_SESSION = `
SELECT ${PERFORMANCE_COLUMNS}
FROM public.agent_executions
WHERE tenant_id = $1 AND agent_id = ANY($2::varchar[])
  AND created_at >= $3::timestamptz AND created_at < $4::timestamptz
  AND workflow_id IN (SELECT workflow_id FROM public.task_executions
                      WHERE tenant_id = $1 AND session_id = $5::varchar)
GROUP BY agent_id
ORDER BY agent_id`;

// A3: the tenant's agents ranked by success rate over a bounded window, at least $5 runs, top $6;
// agent_executions_tenant_created_idx range scan (no join to task_executions).
export const TOP_AGENTS = `
SELECT ${PERFORMANCE_COLUMNS}
FROM public.agent_executions
WHERE tenant_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
GROUP BY agent_id
HAVING count(*) >= $4::int
ORDER BY count(*) FILTER (WHERE state = 'COMPLETED')::float8 / count(*) DESC, agent_id
LIMIT $5`;

// A4: tokens used by the agents of one workflow; agent_executions_tenant_workflow_idx.
export const WORKFLOW_AGENT_TOKENS = `
SELECT COALESCE(sum(tokens_used), 0)::bigint AS tokens_used, count(*)::int AS executions
FROM public.agent_executions
WHERE tenant_id = $1 AND workflow_id = $2`;
