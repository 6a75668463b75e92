-- Workflow event log, partitioned by month on created_at.
-- Fixes vs the original (004): every row carries an idempotency key, so events without a sequence no
-- longer collapse into one (W5, the seq = 0 bug; seq must be positive or NULL); 8 indexes became 3
-- (the always-NULL task_id, type, timestamp and seq indexes are gone, W19); monthly partitions (W21).

CREATE TABLE public.event_logs (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  workflow_id varchar(255) NOT NULL,
  -- Kept for Shannon's column list; the original never writes it.
  task_id uuid,
  type varchar(100) NOT NULL,
  agent_id varchar(255),
  message text,
  payload jsonb NOT NULL DEFAULT '{}',
  "timestamp" timestamptz NOT NULL DEFAULT now(),
  -- Per-workflow sequence (Redis INCR or Temporal event id); NULL when unknown, never 0.
  seq bigint CHECK (seq IS NULL OR seq > 0),
  stream_id varchar(64),
  created_at timestamptz NOT NULL DEFAULT now(),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  idempotency_key text COLLATE "C" NOT NULL,
  PRIMARY KEY (id, created_at),
  -- E1 idempotent append; created_at is stamped at acceptance and replayed unchanged.
  CONSTRAINT event_logs_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE public.event_logs IS 'Streaming events of each workflow (append-only); monthly partitions on created_at.';
-- E2/E3 a workflow's events in order (ORDER BY "timestamp", seq).
CREATE INDEX event_logs_tenant_workflow_timestamp_idx ON public.event_logs (tenant_id, workflow_id, "timestamp", seq);
SELECT public.shannon_enable_tenant_rls('public.event_logs');
SELECT count(*) FROM public.shannon_create_monthly_partitions('public.event_logs', 3, 3);
