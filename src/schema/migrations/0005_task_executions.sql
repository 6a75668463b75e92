-- Task executions, partitioned by month on started_at, with workflow_id idempotency kept by a small
-- unpartitioned key table (PostgreSQL cannot enforce UNIQUE (workflow_id) on a table partitioned by
-- started_at). Fixes vs the original (002/008/009/112/118/121): updated_at exists (W7), status is
-- checked, user deletes keep history (SET NULL, W32), 16 indexes became 7, each serving a hot query
-- (W19, T5 keyset), and no GIN index on response.

CREATE TABLE public.task_execution_keys (
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  workflow_id varchar(255) NOT NULL,
  task_id uuid NOT NULL,
  started_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- T1/T2: claims the workflow id once per tenant and fixes the task's id and partition.
  PRIMARY KEY (tenant_id, workflow_id)
);
COMMENT ON TABLE public.task_execution_keys IS
  'One row per (tenant, workflow_id): the task id and started_at fixed at first write, so upserts of the same workflow land on one task_executions row.';
SELECT public.shannon_enable_tenant_rls('public.task_execution_keys');

CREATE TABLE public.task_executions (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  workflow_id varchar(255) NOT NULL,
  user_id uuid,
  -- Holds sessions.id::text or the session's external id (Shannon's dual-id pattern).
  session_id varchar(255),
  query text NOT NULL,
  mode varchar(50),
  status varchar(50) NOT NULL
    CHECK (status IN ('PENDING', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')),
  started_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  result text,
  error_message text,
  total_tokens integer NOT NULL DEFAULT 0,
  prompt_tokens integer NOT NULL DEFAULT 0,
  completion_tokens integer NOT NULL DEFAULT 0,
  total_cost_usd numeric(12, 6) NOT NULL DEFAULT 0,
  duration_ms integer,
  agents_used integer NOT NULL DEFAULT 0,
  tools_invoked integer NOT NULL DEFAULT 0,
  cache_hits integer NOT NULL DEFAULT 0,
  complexity_score numeric(6, 3),
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  response jsonb NOT NULL DEFAULT '{}',
  model_used varchar(100),
  provider varchar(50),
  trigger_type varchar(32) NOT NULL DEFAULT 'api' CHECK (trigger_type IN ('api', 'schedule')),
  schedule_id uuid,
  cache_read_tokens integer NOT NULL DEFAULT 0,
  cache_creation_tokens integer NOT NULL DEFAULT 0,
  cache_aware_total_tokens integer NOT NULL DEFAULT 0,
  PRIMARY KEY (id, started_at),
  -- T1 upsert arbiter (started_at comes from task_execution_keys); T2 lookup by workflow id.
  CONSTRAINT task_executions_workflow_id_key UNIQUE (tenant_id, workflow_id, started_at),
  CONSTRAINT task_executions_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE SET NULL (user_id),
  CONSTRAINT task_executions_schedule_fkey FOREIGN KEY (tenant_id, schedule_id)
    REFERENCES public.scheduled_tasks (tenant_id, id) ON DELETE SET NULL (schedule_id)
) PARTITION BY RANGE (started_at);
COMMENT ON TABLE public.task_executions IS
  'Task (workflow) executions, monthly partitions on started_at; upsert through task_execution_keys (docs/schema.md).';
CREATE TRIGGER task_executions_set_updated_at BEFORE UPDATE ON public.task_executions
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();

-- T5 keyset listing by tenant (ORDER BY started_at DESC, id DESC).
CREATE INDEX task_executions_tenant_started_idx ON public.task_executions (tenant_id, started_at DESC, id DESC);
-- T5 by tenant+user, T10/T11 supervisor memory by user_id; FK (tenant_id, user_id).
CREATE INDEX task_executions_tenant_user_started_idx
  ON public.task_executions (tenant_id, user_id, started_at DESC, id DESC);
-- T5 by tenant+session, T6 recent tasks of a session, T7 session aggregates, T10/T11 session arm.
CREATE INDEX task_executions_tenant_session_started_idx
  ON public.task_executions (tenant_id, session_id, started_at DESC, id DESC);
-- T5 by tenant+status.
CREATE INDEX task_executions_tenant_status_started_idx
  ON public.task_executions (tenant_id, status, started_at DESC, id DESC);
-- FK (tenant_id, schedule_id); most tasks have no schedule, hence partial.
CREATE INDEX task_executions_tenant_schedule_idx ON public.task_executions (tenant_id, schedule_id)
  WHERE schedule_id IS NOT NULL;

SELECT public.shannon_enable_tenant_rls('public.task_executions');
SELECT count(*) FROM public.shannon_create_monthly_partitions('public.task_executions', 3, 3);

-- Same columns as Shannon's view (the gateway pages over it), without the baked-in ORDER BY, and
-- evaluated with the caller's rights so row-level security applies to every table it reads.
CREATE VIEW public.v_schedule_execution_history WITH (security_invoker = true) AS
SELECT
  ste.schedule_id,
  st.name AS schedule_name,
  st.user_id,
  st.tenant_id,
  te.workflow_id,
  te.session_id,
  te.query,
  COALESCE(te.status, ste.status) AS status,
  te.result,
  COALESCE(te.error_message, ste.error_message) AS error_message,
  te.total_tokens,
  COALESCE(te.total_cost_usd, ste.total_cost_usd) AS total_cost_usd,
  te.model_used,
  te.provider,
  te.started_at,
  COALESCE(te.completed_at, ste.completed_at) AS completed_at,
  te.duration_ms,
  te.trigger_type,
  ste.triggered_at
FROM public.scheduled_task_executions ste
JOIN public.scheduled_tasks st ON st.tenant_id = ste.tenant_id AND st.id = ste.schedule_id
LEFT JOIN public.task_executions te ON te.tenant_id = ste.tenant_id AND te.workflow_id = ste.task_id;
COMMENT ON VIEW public.v_schedule_execution_history IS 'Runs of each schedule joined to their task executions (T14).';
