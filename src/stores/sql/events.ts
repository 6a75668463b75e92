/** Event log queries (E1–E3). event_logs is partitioned by month on created_at. */
import { cursorTimeSql } from '../keyset.js';

const COLUMNS = `id, tenant_id, workflow_id, task_id, type, agent_id, message, payload, "timestamp", seq,
  stream_id, created_at, idempotency_key`;

// E1 (W5): idempotent append; rows without a sequence no longer collapse (the key is the caller's,
// not (workflow, type, seq)). $1 tenant, $2 key, $3 created_at, $4 workflow_id, $5 task_id, $6 type,
// $7 agent_id, $8 message, $9 payload, $10 timestamp, $11 seq, $12 stream_id.
export const INSERT_EVENT = `
INSERT INTO public.event_logs (tenant_id, idempotency_key, created_at, workflow_id, task_id, type,
  agent_id, message, payload, "timestamp", seq, stream_id)
SELECT $1::uuid, $2::text, COALESCE($3::timestamptz, now()), $4::varchar, $5::uuid, $6::varchar,
  $7::varchar, $8::text, COALESCE($9::jsonb, '{}'), COALESCE($10::timestamptz, now()), $11::bigint,
  $12::varchar
WHERE NOT EXISTS (
  SELECT 1 FROM public.event_logs WHERE tenant_id = $1::uuid AND idempotency_key = $2::text)
ON CONFLICT (tenant_id, idempotency_key, created_at) DO NOTHING
RETURNING id, created_at`;

// Replay of E1: the row stored under the key.
export const SELECT_EVENT_BY_KEY = `
SELECT id, created_at FROM public.event_logs WHERE tenant_id = $1 AND idempotency_key = $2 LIMIT 1`;

// E2: one workflow's events oldest first, keyset on ("timestamp", id) instead of OFFSET;
// event_logs_tenant_workflow_timestamp_idx. $2 workflow, $3/$4 cursor, $5 limit.
export const LIST_WORKFLOW_EVENTS = `
SELECT ${COLUMNS}, ${cursorTimeSql('"timestamp"')} AS cursor_at
FROM public.event_logs
WHERE tenant_id = $1 AND workflow_id = $2 AND ("timestamp", id) > ($3::timestamptz, $4::uuid)
ORDER BY "timestamp", id
LIMIT $5`;

// E3: the events of several workflows (a session's turns) oldest first, leaving out the given types
// (LLM_PARTIAL by default); the same index probed once per workflow id. $2 workflows, $6 excluded types.
export const LIST_EVENTS_OF_WORKFLOWS = `
SELECT ${COLUMNS}, ${cursorTimeSql('"timestamp"')} AS cursor_at
FROM public.event_logs
WHERE tenant_id = $1 AND workflow_id = ANY($2::varchar[]) AND type <> ALL($6::varchar[])
  AND ("timestamp", id) > ($3::timestamptz, $4::uuid)
ORDER BY "timestamp", id
LIMIT $5`;
