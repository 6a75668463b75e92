/**
 * Task upserts, two statements in one transaction. The first claims each workflow id in
 * task_execution_keys (fixing the task's id and its partition time at the first write; docs/schema.md);
 * the second upserts task_executions on (tenant_id, workflow_id, started_at) using the claimed values,
 * so every update of a workflow lands on one row of the partitioned table. What an update changes is
 * TASK_CONFLICT_UPDATE, the rule set the task store's single upsert uses too.
 */
import { TASK_CONFLICT_UPDATE } from '../../stores/sql/tasks.js';

export const TASK_COLUMNS = [
  'workflow_id',
  'query',
  'status',
  'started_at',
  'user_id',
  'session_id',
  'mode',
  'completed_at',
  'result',
  'error_message',
  'total_tokens',
  'prompt_tokens',
  'completion_tokens',
  'total_cost_usd',
  'duration_ms',
  'agents_used',
  'tools_invoked',
  'cache_hits',
  'complexity_score',
  'metadata',
  'response',
  'model_used',
  'provider',
  'trigger_type',
  'schedule_id',
  'cache_read_tokens',
  'cache_creation_tokens',
  'cache_aware_total_tokens',
] as const;

export const TASK_TYPES = [
  'text',
  'text',
  'text',
  'timestamptz',
  'uuid',
  'text',
  'text',
  'timestamptz',
  'text',
  'text',
  'int4',
  'int4',
  'int4',
  'numeric',
  'int4',
  'int4',
  'int4',
  'int4',
  'numeric',
  'jsonb',
  'jsonb',
  'text',
  'text',
  'text',
  'uuid',
  'int4',
  'int4',
  'int4',
] as const;

/** $1 tenant ids, $2 workflow ids, $3 started_at (first write wins). */
export const CLAIM_TASK_KEYS = `
INSERT INTO public.task_execution_keys (tenant_id, workflow_id, task_id, started_at)
SELECT r.tenant_id, r.workflow_id, gen_random_uuid(), r.started_at
FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS r(tenant_id, workflow_id, started_at)
ON CONFLICT DO NOTHING`;

/** $1 tenant ids, then one array per TASK_COLUMNS entry ($2 … $29). */
export const UPSERT_TASK_EXECUTIONS = `
INSERT INTO public.task_executions AS t (id, started_at, tenant_id, workflow_id, query, status, user_id,
  session_id, mode, completed_at, result, error_message, total_tokens, prompt_tokens, completion_tokens,
  total_cost_usd, duration_ms, agents_used, tools_invoked, cache_hits, complexity_score, metadata, response,
  model_used, provider, trigger_type, schedule_id, cache_read_tokens, cache_creation_tokens,
  cache_aware_total_tokens)
SELECT k.task_id, k.started_at, r.tenant_id, r.workflow_id, r.query, r.status, r.user_id,
  r.session_id, r.mode, r.completed_at, r.result, r.error_message, COALESCE(r.total_tokens, 0),
  COALESCE(r.prompt_tokens, 0), COALESCE(r.completion_tokens, 0), COALESCE(r.total_cost_usd, 0), r.duration_ms,
  COALESCE(r.agents_used, 0), COALESCE(r.tools_invoked, 0), COALESCE(r.cache_hits, 0), r.complexity_score,
  COALESCE(r.metadata, '{}'), COALESCE(r.response, '{}'), r.model_used, r.provider,
  COALESCE(r.trigger_type, 'api'), r.schedule_id, COALESCE(r.cache_read_tokens, 0),
  COALESCE(r.cache_creation_tokens, 0), COALESCE(r.cache_aware_total_tokens, 0)
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::uuid[], $7::text[],
  $8::text[], $9::timestamptz[], $10::text[], $11::text[], $12::int4[], $13::int4[], $14::int4[],
  $15::numeric[], $16::int4[], $17::int4[], $18::int4[], $19::int4[], $20::numeric[], $21::jsonb[],
  $22::jsonb[], $23::text[], $24::text[], $25::text[], $26::uuid[], $27::int4[], $28::int4[], $29::int4[])
  AS r(tenant_id, workflow_id, query, status, started_at, user_id, session_id, mode, completed_at, result,
       error_message, total_tokens, prompt_tokens, completion_tokens, total_cost_usd, duration_ms, agents_used,
       tools_invoked, cache_hits, complexity_score, metadata, response, model_used, provider, trigger_type,
       schedule_id, cache_read_tokens, cache_creation_tokens, cache_aware_total_tokens)
JOIN public.task_execution_keys k ON k.tenant_id = r.tenant_id AND k.workflow_id = r.workflow_id
${TASK_CONFLICT_UPDATE}`;
