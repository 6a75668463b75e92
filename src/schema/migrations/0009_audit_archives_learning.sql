-- Audit log, session archives, learning cases, prompts and tool calls.
-- Fixes vs the original (001/002): public.audit_logs has the columns the writer uses (W7) and monthly
-- partitions; archives and learning cases carry tenant_id and idempotency keys; learning cases are
-- unique per tenant (not globally) by input hash; the duplicate prompts index is gone.

CREATE TABLE public.audit_logs (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- Deliberately no foreign key: the trail keeps the actor's id after the user is deleted.
  user_id uuid,
  action varchar(255) NOT NULL,
  entity_type varchar(100),
  entity_id varchar(255),
  ip_address inet,
  user_agent text,
  request_id varchar(255),
  old_value jsonb,
  new_value jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  idempotency_key text COLLATE "C" NOT NULL,
  PRIMARY KEY (id, created_at),
  -- Idempotent append; created_at is stamped at acceptance and replayed unchanged.
  CONSTRAINT audit_logs_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE public.audit_logs IS 'Application audit trail (who changed what); append-only, monthly partitions.';
SELECT public.shannon_enable_tenant_rls('public.audit_logs');
SELECT count(*) FROM public.shannon_create_monthly_partitions('public.audit_logs', 3, 3);

CREATE TABLE public.session_archives (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The archived session (uuid text or external id, like task_executions.session_id).
  session_id varchar(255) NOT NULL,
  user_id uuid,
  snapshot_data jsonb NOT NULL DEFAULT '{}',
  message_count integer NOT NULL DEFAULT 0,
  total_tokens integer NOT NULL DEFAULT 0,
  total_cost_usd numeric(12, 6) NOT NULL DEFAULT 0,
  session_started_at timestamptz,
  snapshot_taken_at timestamptz NOT NULL DEFAULT now(),
  ttl_expires_at timestamptz,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  idempotency_key text COLLATE "C" NOT NULL,
  -- Snapshot writes are idempotent.
  CONSTRAINT session_archives_idempotency_key UNIQUE (tenant_id, idempotency_key),
  -- A user's archived conversations go with the user.
  CONSTRAINT session_archives_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.session_archives IS 'Snapshots of hot session state taken periodically and on expiry.';
-- Restore: the latest snapshot of a session.
CREATE INDEX session_archives_tenant_session_taken_idx
  ON public.session_archives (tenant_id, session_id, snapshot_taken_at DESC);
-- FK (tenant_id, user_id).
CREATE INDEX session_archives_tenant_user_idx ON public.session_archives (tenant_id, user_id);
SELECT public.shannon_enable_tenant_rls('public.session_archives');

CREATE TABLE public.learning_cases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid,
  input_hash varchar(64) NOT NULL,
  input_summary text,
  action_taken jsonb NOT NULL,
  outcome jsonb NOT NULL,
  reward double precision,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  -- task_executions.id (no FK: partitioned target).
  task_id uuid,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  idempotency_key text COLLATE "C" NOT NULL,
  -- One case per input within a tenant (the original was globally unique, leaking across tenants).
  CONSTRAINT learning_cases_input_hash_key UNIQUE (tenant_id, input_hash),
  CONSTRAINT learning_cases_idempotency_key UNIQUE (tenant_id, idempotency_key),
  CONSTRAINT learning_cases_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.learning_cases IS 'Case memory for learning from past task outcomes (reward per action).';
-- FK (tenant_id, user_id).
CREATE INDEX learning_cases_tenant_user_idx ON public.learning_cases (tenant_id, user_id);
SELECT public.shannon_enable_tenant_rls('public.learning_cases');

CREATE TABLE public.prompts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(255) NOT NULL,
  version varchar(50) NOT NULL,
  content text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  is_active boolean NOT NULL DEFAULT false,
  rollout_percentage integer NOT NULL DEFAULT 0 CHECK (rollout_percentage BETWEEN 0 AND 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Author; a plain id (prompts are platform-wide, users are per tenant).
  created_by uuid,
  -- Lookup of a prompt version.
  CONSTRAINT prompts_name_version_key UNIQUE (name, version)
);
COMMENT ON TABLE public.prompts IS 'Platform-wide versioned prompt templates (not tenant-scoped).';

CREATE TABLE public.tool_calls (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tool_name varchar(255) NOT NULL,
  parameters jsonb NOT NULL DEFAULT '{}',
  result jsonb,
  status varchar(50) NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
  execution_time_ms integer,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- agent_executions.id (no FK: partitioned target).
  agent_execution_id uuid,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE
);
COMMENT ON TABLE public.tool_calls IS 'Individual tool invocations of an agent execution (kept for Shannon compatibility).';
-- Tool calls of an agent execution; serves the tenant FK.
CREATE INDEX tool_calls_tenant_agent_execution_idx ON public.tool_calls (tenant_id, agent_execution_id);
SELECT public.shannon_enable_tenant_rls('public.tool_calls');
