/**
 * Task upserts, two statements in one transaction. The first claims each workflow id in
 * task_execution_keys (fixing the task's id and its partition time at the first write; docs/schema.md);
 * the second upserts task_executions on (tenant_id, workflow_id, started_at) using the claimed values,
 * so every update of a workflow lands on one row of the partitioned table.
 *
 * Conflict rules (SPEC P3, W6), mirrored by coalesce.ts for updates inside one batch:
 * - a terminal status is never replaced; once terminal, later updates only fill columns still NULL;
 * - otherwise a supplied column replaces the stored one, an absent one (NULL) keeps it;
 * - counters only grow (GREATEST); metadata/response are merged (`||`), never wiped by `{}`;
 * - query and trigger_type are fixed by the first write.
 */

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

const TERMINAL = `('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')`;

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
ON CONFLICT (tenant_id, workflow_id, started_at) DO UPDATE SET
  status = CASE WHEN t.status IN ${TERMINAL} THEN t.status ELSE EXCLUDED.status END,
  user_id = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.user_id, EXCLUDED.user_id)
    ELSE COALESCE(EXCLUDED.user_id, t.user_id) END,
  session_id = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.session_id, EXCLUDED.session_id)
    ELSE COALESCE(EXCLUDED.session_id, t.session_id) END,
  mode = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.mode, EXCLUDED.mode)
    ELSE COALESCE(EXCLUDED.mode, t.mode) END,
  completed_at = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.completed_at, EXCLUDED.completed_at)
    ELSE COALESCE(EXCLUDED.completed_at, t.completed_at) END,
  result = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.result, EXCLUDED.result)
    ELSE COALESCE(EXCLUDED.result, t.result) END,
  error_message = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.error_message, EXCLUDED.error_message)
    ELSE COALESCE(EXCLUDED.error_message, t.error_message) END,
  duration_ms = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.duration_ms, EXCLUDED.duration_ms)
    ELSE COALESCE(EXCLUDED.duration_ms, t.duration_ms) END,
  complexity_score = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.complexity_score, EXCLUDED.complexity_score)
    ELSE COALESCE(EXCLUDED.complexity_score, t.complexity_score) END,
  model_used = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.model_used, EXCLUDED.model_used)
    ELSE COALESCE(EXCLUDED.model_used, t.model_used) END,
  provider = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.provider, EXCLUDED.provider)
    ELSE COALESCE(EXCLUDED.provider, t.provider) END,
  schedule_id = CASE WHEN t.status IN ${TERMINAL} THEN COALESCE(t.schedule_id, EXCLUDED.schedule_id)
    ELSE COALESCE(EXCLUDED.schedule_id, t.schedule_id) END,
  metadata = CASE WHEN t.status IN ${TERMINAL} THEN EXCLUDED.metadata || t.metadata
    ELSE t.metadata || EXCLUDED.metadata END,
  response = CASE WHEN t.status IN ${TERMINAL} THEN EXCLUDED.response || t.response
    ELSE t.response || EXCLUDED.response END,
  total_tokens = GREATEST(t.total_tokens, EXCLUDED.total_tokens),
  prompt_tokens = GREATEST(t.prompt_tokens, EXCLUDED.prompt_tokens),
  completion_tokens = GREATEST(t.completion_tokens, EXCLUDED.completion_tokens),
  total_cost_usd = GREATEST(t.total_cost_usd, EXCLUDED.total_cost_usd),
  agents_used = GREATEST(t.agents_used, EXCLUDED.agents_used),
  tools_invoked = GREATEST(t.tools_invoked, EXCLUDED.tools_invoked),
  cache_hits = GREATEST(t.cache_hits, EXCLUDED.cache_hits),
  cache_read_tokens = GREATEST(t.cache_read_tokens, EXCLUDED.cache_read_tokens),
  cache_creation_tokens = GREATEST(t.cache_creation_tokens, EXCLUDED.cache_creation_tokens),
  cache_aware_total_tokens = GREATEST(t.cache_aware_total_tokens, EXCLUDED.cache_aware_total_tokens)`;
