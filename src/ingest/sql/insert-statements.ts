/**
 * Bulk INSERTs of the insert-only kinds: one statement per batch, the batch passed as one array per
 * column and expanded with `unnest` (bounded statement size: the batch limits apply, and the
 * statement text never grows with the batch). `ON CONFLICT DO NOTHING` absorbs a record whose
 * idempotency key is already stored (a retry or a replay). Columns with defaults take them when the
 * record leaves them out. The parameter order is `columns` (see bulk-writer.ts).
 */

export interface InsertStatement {
  readonly table: string;
  /** Record columns in parameter order ($1 = tenant_id, $2 = idempotency_key, then these). */
  readonly columns: readonly string[];
  /** Array type of each column's parameter, same order as `columns`. */
  readonly types: readonly string[];
  readonly text: string;
}

export const INSERT_AGENT_EXECUTIONS: InsertStatement = {
  table: 'public.agent_executions',
  columns: [
    'agent_id',
    'input',
    'output',
    'state',
    'tokens_used',
    'model_used',
    'duration_ms',
    'created_at',
    'workflow_id',
    'task_id',
    'error_message',
    'metadata',
    'strategy',
  ],
  types: [
    'text',
    'text',
    'text',
    'text',
    'int4',
    'text',
    'int8',
    'timestamptz',
    'text',
    'uuid',
    'text',
    'jsonb',
    'text',
  ],
  text: `
INSERT INTO public.agent_executions (tenant_id, idempotency_key, agent_id, input, output, state, tokens_used,
  model_used, duration_ms, created_at, workflow_id, task_id, error_message, metadata, strategy)
SELECT r.tenant_id, r.idempotency_key, r.agent_id, r.input, r.output, r.state, COALESCE(r.tokens_used, 0),
  r.model_used, r.duration_ms, r.created_at, r.workflow_id, r.task_id, r.error_message,
  COALESCE(r.metadata, '{}'), r.strategy
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int4[], $8::text[],
  $9::int8[], $10::timestamptz[], $11::text[], $12::uuid[], $13::text[], $14::jsonb[], $15::text[])
  AS r(tenant_id, idempotency_key, agent_id, input, output, state, tokens_used, model_used, duration_ms,
       created_at, workflow_id, task_id, error_message, metadata, strategy)
ON CONFLICT DO NOTHING`,
};

export const INSERT_TOOL_EXECUTIONS: InsertStatement = {
  table: 'public.tool_executions',
  columns: [
    'tool_name',
    'agent_execution_id',
    'input_params',
    'output',
    'success',
    'error',
    'duration_ms',
    'tokens_consumed',
    'workflow_id',
    'agent_id',
    'metadata',
    'created_at',
  ],
  types: [
    'text',
    'uuid',
    'jsonb',
    'text',
    'bool',
    'text',
    'int8',
    'int4',
    'text',
    'text',
    'jsonb',
    'timestamptz',
  ],
  text: `
INSERT INTO public.tool_executions (tenant_id, idempotency_key, tool_name, agent_execution_id, input_params,
  output, success, error, duration_ms, tokens_consumed, workflow_id, agent_id, metadata, created_at)
SELECT r.tenant_id, r.idempotency_key, r.tool_name, r.agent_execution_id, COALESCE(r.input_params, '{}'),
  r.output, COALESCE(r.success, true), r.error, r.duration_ms, COALESCE(r.tokens_consumed, 0), r.workflow_id,
  r.agent_id, COALESCE(r.metadata, '{}'), r.created_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[], $6::text[], $7::bool[], $8::text[],
  $9::int8[], $10::int4[], $11::text[], $12::text[], $13::jsonb[], $14::timestamptz[])
  AS r(tenant_id, idempotency_key, tool_name, agent_execution_id, input_params, output, success, error,
       duration_ms, tokens_consumed, workflow_id, agent_id, metadata, created_at)
ON CONFLICT DO NOTHING`,
};

export const INSERT_TOKEN_USAGE: InsertStatement = {
  table: 'public.token_usage',
  columns: [
    'provider',
    'model',
    'prompt_tokens',
    'completion_tokens',
    'total_tokens',
    'cost_usd',
    'user_id',
    'created_at',
    'task_id',
    'agent_id',
    'cache_read_tokens',
    'cache_creation_tokens',
    'call_sequence',
    'cache_aware_total_tokens',
  ],
  types: [
    'text',
    'text',
    'int4',
    'int4',
    'int4',
    'numeric',
    'uuid',
    'timestamptz',
    'uuid',
    'text',
    'int4',
    'int4',
    'int4',
    'int4',
  ],
  text: `
INSERT INTO public.token_usage (tenant_id, idempotency_key, provider, model, prompt_tokens, completion_tokens,
  total_tokens, cost_usd, user_id, created_at, task_id, agent_id, cache_read_tokens, cache_creation_tokens,
  call_sequence, cache_aware_total_tokens)
SELECT r.tenant_id, r.idempotency_key, r.provider, r.model, r.prompt_tokens, r.completion_tokens,
  r.total_tokens, r.cost_usd, r.user_id, r.created_at, r.task_id, r.agent_id, COALESCE(r.cache_read_tokens, 0),
  COALESCE(r.cache_creation_tokens, 0), COALESCE(r.call_sequence, 0), COALESCE(r.cache_aware_total_tokens, 0)
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::int4[], $7::int4[], $8::numeric[],
  $9::uuid[], $10::timestamptz[], $11::uuid[], $12::text[], $13::int4[], $14::int4[], $15::int4[], $16::int4[])
  AS r(tenant_id, idempotency_key, provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd,
       user_id, created_at, task_id, agent_id, cache_read_tokens, cache_creation_tokens, call_sequence,
       cache_aware_total_tokens)
ON CONFLICT DO NOTHING`,
};

export const INSERT_EVENT_LOGS: InsertStatement = {
  table: 'public.event_logs',
  columns: [
    'workflow_id',
    'type',
    'task_id',
    'agent_id',
    'message',
    'payload',
    'timestamp',
    'seq',
    'stream_id',
    'created_at',
  ],
  types: ['text', 'text', 'uuid', 'text', 'text', 'jsonb', 'timestamptz', 'int8', 'text', 'timestamptz'],
  text: `
INSERT INTO public.event_logs (tenant_id, idempotency_key, workflow_id, type, task_id, agent_id, message,
  payload, "timestamp", seq, stream_id, created_at)
SELECT r.tenant_id, r.idempotency_key, r.workflow_id, r.type, r.task_id, r.agent_id, r.message,
  COALESCE(r.payload, '{}'), COALESCE(r.ts, r.created_at), r.seq, r.stream_id, r.created_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::jsonb[],
  $9::timestamptz[], $10::int8[], $11::text[], $12::timestamptz[])
  AS r(tenant_id, idempotency_key, workflow_id, type, task_id, agent_id, message, payload, ts, seq, stream_id,
       created_at)
ON CONFLICT DO NOTHING`,
};

export const INSERT_AUDIT_LOGS: InsertStatement = {
  table: 'public.audit_logs',
  columns: [
    'action',
    'user_id',
    'entity_type',
    'entity_id',
    'ip_address',
    'user_agent',
    'request_id',
    'old_value',
    'new_value',
    'created_at',
  ],
  types: ['text', 'uuid', 'text', 'text', 'inet', 'text', 'text', 'jsonb', 'jsonb', 'timestamptz'],
  text: `
INSERT INTO public.audit_logs (tenant_id, idempotency_key, action, user_id, entity_type, entity_id, ip_address,
  user_agent, request_id, old_value, new_value, created_at)
SELECT r.tenant_id, r.idempotency_key, r.action, r.user_id, r.entity_type, r.entity_id, r.ip_address,
  r.user_agent, r.request_id, r.old_value, r.new_value, r.created_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::inet[], $8::text[],
  $9::text[], $10::jsonb[], $11::jsonb[], $12::timestamptz[])
  AS r(tenant_id, idempotency_key, action, user_id, entity_type, entity_id, ip_address, user_agent, request_id,
       old_value, new_value, created_at)
ON CONFLICT DO NOTHING`,
};

export const INSERT_AUTH_AUDIT_LOGS: InsertStatement = {
  table: 'auth.audit_logs',
  columns: ['event_type', 'user_id', 'ip_address', 'user_agent', 'details', 'created_at'],
  types: ['text', 'uuid', 'inet', 'text', 'jsonb', 'timestamptz'],
  text: `
INSERT INTO auth.audit_logs (tenant_id, idempotency_key, event_type, user_id, ip_address, user_agent, details,
  created_at)
SELECT r.tenant_id, r.idempotency_key, r.event_type, r.user_id, r.ip_address, r.user_agent,
  COALESCE(r.details, '{}'), r.created_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::inet[], $6::text[], $7::jsonb[],
  $8::timestamptz[])
  AS r(tenant_id, idempotency_key, event_type, user_id, ip_address, user_agent, details, created_at)
ON CONFLICT DO NOTHING`,
};

export const INSERT_SESSION_ARCHIVES: InsertStatement = {
  table: 'public.session_archives',
  columns: [
    'session_id',
    'user_id',
    'snapshot_data',
    'message_count',
    'total_tokens',
    'total_cost_usd',
    'session_started_at',
    'snapshot_taken_at',
    'ttl_expires_at',
  ],
  types: ['text', 'uuid', 'jsonb', 'int4', 'int4', 'numeric', 'timestamptz', 'timestamptz', 'timestamptz'],
  text: `
INSERT INTO public.session_archives (tenant_id, idempotency_key, session_id, user_id, snapshot_data,
  message_count, total_tokens, total_cost_usd, session_started_at, snapshot_taken_at, ttl_expires_at)
SELECT r.tenant_id, r.idempotency_key, r.session_id, r.user_id, COALESCE(r.snapshot_data, '{}'),
  COALESCE(r.message_count, 0), COALESCE(r.total_tokens, 0), COALESCE(r.total_cost_usd, 0),
  r.session_started_at, r.snapshot_taken_at, r.ttl_expires_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[], $6::int4[], $7::int4[],
  $8::numeric[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
  AS r(tenant_id, idempotency_key, session_id, user_id, snapshot_data, message_count, total_tokens,
       total_cost_usd, session_started_at, snapshot_taken_at, ttl_expires_at)
ON CONFLICT DO NOTHING`,
};

export const INSERT_LEARNING_CASES: InsertStatement = {
  table: 'public.learning_cases',
  columns: [
    'input_hash',
    'action_taken',
    'outcome',
    'user_id',
    'input_summary',
    'reward',
    'metadata',
    'created_at',
    'task_id',
  ],
  types: ['text', 'jsonb', 'jsonb', 'uuid', 'text', 'float8', 'jsonb', 'timestamptz', 'uuid'],
  text: `
INSERT INTO public.learning_cases (tenant_id, idempotency_key, input_hash, action_taken, outcome, user_id,
  input_summary, reward, metadata, created_at, task_id)
SELECT r.tenant_id, r.idempotency_key, r.input_hash, r.action_taken, r.outcome, r.user_id, r.input_summary,
  r.reward, COALESCE(r.metadata, '{}'), r.created_at, r.task_id
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::uuid[], $7::text[],
  $8::float8[], $9::jsonb[], $10::timestamptz[], $11::uuid[])
  AS r(tenant_id, idempotency_key, input_hash, action_taken, outcome, user_id, input_summary, reward,
       metadata, created_at, task_id)
ON CONFLICT DO NOTHING`,
};
