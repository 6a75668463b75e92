/**
 * Shannon's original statements for the worst hot queries (inventory §2), on our schema (same
 * table and column names). NOT used by the stores: the benchmark times them next to their
 * replacements in the same run, so the figures are ratios rather than absolute latencies of a busy
 * machine. They run as the owner, like the original (no tenant context, no row-level security).
 */

// S1 original: the uuid compared as text defeats the primary key (seq scan, W14).
export const ORIGINAL_S1 = `
SELECT external_id FROM public.sessions WHERE id::text = $1 AND deleted_at IS NULL`;

// T5 original, page after 10,000 rows: an exact count, then COALESCE ordering with OFFSET (W20).
export const ORIGINAL_T5_COUNT = `
SELECT count(*) FROM public.task_executions WHERE tenant_id = $1`;
export const ORIGINAL_T5_PAGE = `
SELECT id, workflow_id, query, status, started_at FROM public.task_executions
WHERE tenant_id = $1
ORDER BY COALESCE(started_at, created_at) DESC
LIMIT 20 OFFSET 10000`;

// T10 original: the cast and the OR force a scan of every task; LIMIT applies to the 1-row result (W15).
export const ORIGINAL_T10 = `
SELECT AVG(LENGTH(result)) AS avg_len, AVG(complexity_score) AS avg_score
FROM public.task_executions WHERE session_id = $1 OR user_id::text = $2 LIMIT 100`;

// A2 original: one full-history aggregate per candidate agent, joined to tasks (W16).
export const ORIGINAL_A2 = `
SELECT ae.agent_id, count(*) AS runs, count(*) FILTER (WHERE ae.state = 'COMPLETED') AS successes,
  avg(ae.duration_ms) AS avg_duration, avg(ae.tokens_used) AS avg_tokens
FROM public.agent_executions ae
LEFT JOIN public.task_executions te ON te.workflow_id = ae.workflow_id
WHERE ae.agent_id IN ($1)
GROUP BY ae.agent_id`;

// U4 original: optional-parameter ORs with casts on the columns.
export const ORIGINAL_U4 = `
SELECT tu.user_id, tu.task_id, tu.model, tu.provider, count(*), sum(tu.total_tokens), sum(tu.cost_usd)
FROM public.token_usage tu
LEFT JOIN public.task_executions te ON te.id = tu.task_id
WHERE tu.created_at BETWEEN $1 AND $2
  AND ($3 = '' OR tu.user_id::text = $3)
  AND ($4 = '' OR tu.task_id::text = $4 OR te.workflow_id = $4)
GROUP BY tu.user_id, tu.task_id, tu.model, tu.provider`;
