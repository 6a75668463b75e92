/** Token usage queries (U1–U5). token_usage is partitioned by month on created_at. */

// U1/U5 (W12): idempotent insert. The task is given by id or resolved from its workflow id through
// the key table (one primary-key probe, replacing U1's extra round trip). $1 tenant, $2 key,
// $3 created_at, $4 user_id, $5 provider, $6 model, $7 prompt, $8 completion, $9 total, $10 cost,
// $11 task_id, $12 workflow_id, $13 agent_id, $14 cache_read, $15 cache_creation, $16 call_sequence,
// $17 cache_aware_total.
export const INSERT_TOKEN_USAGE = `
INSERT INTO public.token_usage (tenant_id, idempotency_key, created_at, user_id, provider, model,
  prompt_tokens, completion_tokens, total_tokens, cost_usd, task_id, agent_id, cache_read_tokens,
  cache_creation_tokens, call_sequence, cache_aware_total_tokens)
SELECT $1::uuid, $2::text, COALESCE($3::timestamptz, now()), $4::uuid, $5::varchar, $6::varchar,
  $7::int, $8::int, $9::int, $10::numeric,
  COALESCE($11::uuid, (SELECT k.task_id FROM public.task_execution_keys k
                       WHERE k.tenant_id = $1::uuid AND k.workflow_id = $12::varchar)),
  $13::varchar, $14::int, $15::int, $16::int, $17::int
WHERE NOT EXISTS (
  SELECT 1 FROM public.token_usage WHERE tenant_id = $1::uuid AND idempotency_key = $2::text)
ON CONFLICT (tenant_id, idempotency_key, created_at) DO NOTHING
RETURNING id, created_at`;

// Replay of U1: the row stored under the key (token_usage_idempotency_key, per partition).
export const SELECT_TOKEN_USAGE_BY_KEY = `
SELECT id, created_at FROM public.token_usage WHERE tenant_id = $1 AND idempotency_key = $2 LIMIT 1`;

const BREAKDOWN_COLUMNS = `GROUPING(tu.provider, tu.model, tu.agent_id)::int AS grouping,
  tu.provider, tu.model, tu.agent_id,
  count(*)::int AS calls,
  sum(tu.prompt_tokens)::bigint AS prompt_tokens,
  sum(tu.completion_tokens)::bigint AS completion_tokens,
  sum(tu.total_tokens)::bigint AS total_tokens,
  sum(tu.cache_read_tokens)::bigint AS cache_read_tokens,
  sum(tu.cache_creation_tokens)::bigint AS cache_creation_tokens,
  sum(tu.cache_aware_total_tokens)::bigint AS cache_aware_total_tokens,
  sum(tu.cost_usd) AS cost_usd`;

// GROUPING() tells the three sets apart: 7 = totals, 1 = per (provider, model), 0 = per agent.
const BREAKDOWN_GROUPS = `GROUP BY GROUPING SETS ((), (tu.provider, tu.model), (tu.agent_id, tu.provider, tu.model))
ORDER BY grouping DESC, cost_usd DESC, tu.provider, tu.model, tu.agent_id`;

// U2/U3 (W17): a task's totals, per-model and per-agent breakdown in ONE query (the original ran 4-5
// aggregates per status poll); token_usage_task_provider_model_idx. $2 = task id.
export const TASK_USAGE_BY_TASK_ID = `
SELECT ${BREAKDOWN_COLUMNS}
FROM public.token_usage tu
WHERE tu.tenant_id = $1 AND tu.task_id = $2::uuid
${BREAKDOWN_GROUPS}`;

// U2/U3 by workflow id: the key table's primary key gives the task id, then the same index per
// partition (nested loop; a scalar subquery here made the planner ignore the task index).
export const TASK_USAGE_BY_WORKFLOW = `
SELECT ${BREAKDOWN_COLUMNS}
FROM public.task_execution_keys k
JOIN public.token_usage tu ON tu.task_id = k.task_id AND tu.tenant_id = k.tenant_id
WHERE k.tenant_id = $1 AND k.workflow_id = $2::varchar
${BREAKDOWN_GROUPS}`;

// U4 by user (W14-style cast fixed): token_usage_tenant_user_created_idx (tenant_id, user_id,
// created_at) range scan; partitions outside [$2, $3) are pruned. $4 user, $5 row limit.
export const USAGE_REPORT_BY_USER = `
SELECT user_id, task_id, provider, model, count(*)::int AS calls,
  sum(prompt_tokens)::bigint AS prompt_tokens, sum(completion_tokens)::bigint AS completion_tokens,
  sum(total_tokens)::bigint AS total_tokens, sum(cache_aware_total_tokens)::bigint AS cache_aware_total_tokens,
  sum(cost_usd) AS cost_usd
FROM public.token_usage
WHERE tenant_id = $1 AND user_id = $4::uuid AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
GROUP BY user_id, task_id, provider, model
ORDER BY cost_usd DESC, task_id, provider, model
LIMIT $5`;

// U4 for the whole tenant: the tenant prefix of token_usage_tenant_user_created_idx in the partitions
// overlapping [$2, $3) (a bitmap scan; no extra index on this write-heavy table).
export const USAGE_REPORT_BY_TENANT = `
SELECT user_id, task_id, provider, model, count(*)::int AS calls,
  sum(prompt_tokens)::bigint AS prompt_tokens, sum(completion_tokens)::bigint AS completion_tokens,
  sum(total_tokens)::bigint AS total_tokens, sum(cache_aware_total_tokens)::bigint AS cache_aware_total_tokens,
  sum(cost_usd) AS cost_usd
FROM public.token_usage
WHERE tenant_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
GROUP BY user_id, task_id, provider, model
ORDER BY cost_usd DESC, user_id, task_id, provider, model
LIMIT $4`;
