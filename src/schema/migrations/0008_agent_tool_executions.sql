-- Agent and tool executions, partitioned by month on created_at.
-- Fixes vs the original (002/005/006): idempotency keys (A1 retries no longer fail or duplicate),
-- task_id is the task's uuid instead of a copy of the workflow id (W32), state is checked, the duplicate
-- created_at index and the unused state/strategy/task_id indexes are gone (W19), A2/A3 have a
-- time-bounded index, and tool_executions (never read) keeps only its keys.

CREATE TABLE public.agent_executions (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  agent_id varchar(255) NOT NULL,
  input text NOT NULL,
  output text,
  state varchar(50) CHECK (state IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')),
  tokens_used integer NOT NULL DEFAULT 0,
  model_used varchar(100),
  duration_ms bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  workflow_id varchar(255),
  -- task_executions.id (no FK: partitioned target, asynchronous writers).
  task_id uuid,
  error_message text,
  metadata jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Read by T11 as COALESCE(strategy, metadata->>'strategy').
  strategy varchar(100),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  idempotency_key text COLLATE "C" NOT NULL,
  PRIMARY KEY (id, created_at),
  -- A1 idempotent insert; created_at is stamped at acceptance and replayed unchanged.
  CONSTRAINT agent_executions_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE public.agent_executions IS 'One row per agent run inside a workflow; monthly partitions on created_at.';
CREATE TRIGGER agent_executions_set_updated_at BEFORE UPDATE ON public.agent_executions
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
-- A2 performance of given agents over a bounded window (agent ids such as agent-1 repeat across tenants).
CREATE INDEX agent_executions_tenant_agent_created_idx ON public.agent_executions (tenant_id, agent_id, created_at);
-- A3 all agents of a tenant over a bounded window.
CREATE INDEX agent_executions_tenant_created_idx ON public.agent_executions (tenant_id, created_at);
-- A4 tokens of a workflow; T11 join from a task's workflow.
CREATE INDEX agent_executions_tenant_workflow_idx ON public.agent_executions (tenant_id, workflow_id);
SELECT public.shannon_enable_tenant_rls('public.agent_executions');
SELECT count(*) FROM public.shannon_create_monthly_partitions('public.agent_executions', 3, 3);

CREATE TABLE public.tool_executions (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- agent_executions.id (no FK: partitioned target, asynchronous writers).
  agent_execution_id uuid,
  tool_name varchar(255) NOT NULL,
  input_params jsonb NOT NULL DEFAULT '{}',
  output text,
  success boolean NOT NULL DEFAULT true,
  error text,
  duration_ms bigint,
  tokens_consumed integer NOT NULL DEFAULT 0,
  workflow_id varchar(255),
  agent_id varchar(255),
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  idempotency_key text COLLATE "C" NOT NULL,
  PRIMARY KEY (id, created_at),
  -- Idempotent insert; serves the tenant FK. No other index: nothing reads this table (inventory 1.5).
  CONSTRAINT tool_executions_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE public.tool_executions IS 'One row per tool call made by an agent; monthly partitions on created_at.';
SELECT public.shannon_enable_tenant_rls('public.tool_executions');
SELECT count(*) FROM public.shannon_create_monthly_partitions('public.tool_executions', 3, 3);
