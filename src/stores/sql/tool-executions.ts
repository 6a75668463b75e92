/** Tool execution queries. Nothing in Shannon reads this table; it is written only. */

// Idempotent insert. $1 tenant, $2 key, $3 created_at, $4 agent_execution_id, $5 tool_name,
// $6 input_params, $7 output, $8 success, $9 error, $10 duration_ms, $11 tokens_consumed,
// $12 workflow_id, $13 agent_id, $14 metadata.
export const INSERT_TOOL_EXECUTION = `
INSERT INTO public.tool_executions (tenant_id, idempotency_key, created_at, agent_execution_id,
  tool_name, input_params, output, success, error, duration_ms, tokens_consumed, workflow_id,
  agent_id, metadata)
SELECT $1::uuid, $2::text, COALESCE($3::timestamptz, now()), $4::uuid, $5::varchar,
  COALESCE($6::jsonb, '{}'), $7::text, $8::boolean, $9::text, $10::bigint, $11::int, $12::varchar,
  $13::varchar, COALESCE($14::jsonb, '{}')
WHERE NOT EXISTS (
  SELECT 1 FROM public.tool_executions WHERE tenant_id = $1::uuid AND idempotency_key = $2::text)
ON CONFLICT (tenant_id, idempotency_key, created_at) DO NOTHING
RETURNING id, created_at`;

// Replay of the insert.
export const SELECT_TOOL_EXECUTION_BY_KEY = `
SELECT id, created_at FROM public.tool_executions WHERE tenant_id = $1 AND idempotency_key = $2 LIMIT 1`;
