-- Token usage ledger and daily usage aggregates.
-- Fixes vs the original (001/002/011/112/120/121): token_usage has an idempotency key (W12) and
-- monthly partitions (W21); 8 indexes became 4 (the redundant task_id prefix, provider/model, agent_id
-- and call_sequence indexes are gone, W19); U4 is served by (tenant_id, user_id, created_at) without
-- casts. The daily aggregates are maintained by atomic increments when a task ENTERS a terminal
-- status, instead of the original's per-row recount that lost updates under concurrency (W10).

CREATE TABLE public.token_usage (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid,
  provider varchar(50) NOT NULL,
  model varchar(255) NOT NULL,
  prompt_tokens integer NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
  total_tokens integer NOT NULL CHECK (total_tokens >= 0),
  cost_usd numeric(12, 6) NOT NULL CHECK (cost_usd >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- task_executions.id. No FK: the target is partitioned on started_at (its key includes it), and
  -- usage may be recorded before the asynchronous task row lands. U5 writes NULL.
  task_id uuid,
  agent_id varchar(255),
  cache_read_tokens integer NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
  cache_creation_tokens integer NOT NULL DEFAULT 0 CHECK (cache_creation_tokens >= 0),
  call_sequence integer NOT NULL DEFAULT 0,
  cache_aware_total_tokens integer NOT NULL DEFAULT 0 CHECK (cache_aware_total_tokens >= 0),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  idempotency_key text COLLATE "C" NOT NULL,
  PRIMARY KEY (id, created_at),
  -- U1/U5 idempotent insert; created_at is stamped at acceptance and replayed unchanged.
  CONSTRAINT token_usage_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at),
  -- Billing history survives a user delete; only the attribution is cleared.
  CONSTRAINT token_usage_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE SET NULL (user_id)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE public.token_usage IS 'LLM token and cost ledger, one row per call; monthly partitions on created_at.';
-- U2/U3 per-task totals and per-model breakdown (GROUP BY provider, model).
CREATE INDEX token_usage_task_provider_model_idx ON public.token_usage (task_id, provider, model)
  WHERE task_id IS NOT NULL;
-- U4 usage report by user and time range; FK (tenant_id, user_id).
CREATE INDEX token_usage_tenant_user_created_idx ON public.token_usage (tenant_id, user_id, created_at);
SELECT public.shannon_enable_tenant_rls('public.token_usage');
SELECT count(*) FROM public.shannon_create_monthly_partitions('public.token_usage', 3, 3);

CREATE TABLE public.usage_daily_aggregates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  -- NULL for tasks without a user; such tasks aggregate into one row per tenant and day.
  user_id uuid,
  -- UTC day of the task's started_at.
  date date NOT NULL,
  total_tasks integer NOT NULL DEFAULT 0,
  successful_tasks integer NOT NULL DEFAULT 0,
  -- FAILED and TIMEOUT.
  failed_tasks integer NOT NULL DEFAULT 0,
  cancelled_tasks integer NOT NULL DEFAULT 0,
  total_tokens bigint NOT NULL DEFAULT 0,
  cache_aware_total_tokens bigint NOT NULL DEFAULT 0,
  total_cost_usd numeric(16, 6) NOT NULL DEFAULT 0,
  model_usage jsonb NOT NULL DEFAULT '{}',
  tools_invoked integer NOT NULL DEFAULT 0,
  tool_distribution jsonb NOT NULL DEFAULT '{}',
  -- Sum and count of known durations, so the average is maintained without a recount.
  total_duration_ms bigint NOT NULL DEFAULT 0,
  duration_samples integer NOT NULL DEFAULT 0,
  avg_duration_ms integer,
  cache_hits integer NOT NULL DEFAULT 0,
  cache_hit_rate numeric(5, 4),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT usage_daily_aggregates_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.usage_daily_aggregates IS
  'Per tenant, user and UTC day: totals of tasks that reached a terminal status; maintained by trigger increments.';
-- Trigger upsert arbiter and the usage-by-day read; serves FK (tenant_id, user_id) and the tenant FK.
CREATE UNIQUE INDEX usage_daily_aggregates_tenant_user_date_key
  ON public.usage_daily_aggregates (tenant_id, user_id, date) NULLS NOT DISTINCT;
SELECT public.shannon_enable_tenant_rls('public.usage_daily_aggregates');

-- Adds one finished task to its day. Runs in the writer's transaction: the INSERT … ON CONFLICT DO
-- UPDATE with increments takes the row lock, so concurrent completions add up instead of the later
-- commit overwriting an earlier recount.
CREATE FUNCTION public.shannon_add_task_to_daily_aggregate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.usage_daily_aggregates AS a (
    tenant_id, user_id, date, total_tasks, successful_tasks, failed_tasks, cancelled_tasks,
    total_tokens, cache_aware_total_tokens, total_cost_usd, tools_invoked,
    total_duration_ms, duration_samples, avg_duration_ms, cache_hits)
  VALUES (
    NEW.tenant_id, NEW.user_id, (NEW.started_at AT TIME ZONE 'UTC')::date, 1,
    (NEW.status = 'COMPLETED')::int, (NEW.status IN ('FAILED', 'TIMEOUT'))::int, (NEW.status = 'CANCELLED')::int,
    NEW.total_tokens, NEW.cache_aware_total_tokens, NEW.total_cost_usd, NEW.tools_invoked,
    COALESCE(NEW.duration_ms, 0), (NEW.duration_ms IS NOT NULL)::int, NEW.duration_ms, NEW.cache_hits)
  ON CONFLICT (tenant_id, user_id, date) DO UPDATE SET
    total_tasks = a.total_tasks + 1,
    successful_tasks = a.successful_tasks + EXCLUDED.successful_tasks,
    failed_tasks = a.failed_tasks + EXCLUDED.failed_tasks,
    cancelled_tasks = a.cancelled_tasks + EXCLUDED.cancelled_tasks,
    total_tokens = a.total_tokens + EXCLUDED.total_tokens,
    cache_aware_total_tokens = a.cache_aware_total_tokens + EXCLUDED.cache_aware_total_tokens,
    total_cost_usd = a.total_cost_usd + EXCLUDED.total_cost_usd,
    tools_invoked = a.tools_invoked + EXCLUDED.tools_invoked,
    total_duration_ms = a.total_duration_ms + EXCLUDED.total_duration_ms,
    duration_samples = a.duration_samples + EXCLUDED.duration_samples,
    avg_duration_ms = CASE WHEN a.duration_samples + EXCLUDED.duration_samples > 0
      THEN ((a.total_duration_ms + EXCLUDED.total_duration_ms) / (a.duration_samples + EXCLUDED.duration_samples))::int
      END,
    cache_hits = a.cache_hits + EXCLUDED.cache_hits,
    updated_at = now();
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION public.shannon_add_task_to_daily_aggregate() IS
  'AFTER trigger on task_executions: increments usage_daily_aggregates when a task enters a terminal status.';

-- Fires only when a row ENTERS a terminal status: inserted terminal, or updated from non-terminal.
-- Re-upserting a finished task never fires it (the original fired on every terminal upsert).
CREATE TRIGGER task_executions_aggregate_on_insert AFTER INSERT ON public.task_executions
  FOR EACH ROW WHEN (NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'))
  EXECUTE FUNCTION public.shannon_add_task_to_daily_aggregate();
CREATE TRIGGER task_executions_aggregate_on_update AFTER UPDATE OF status ON public.task_executions
  FOR EACH ROW WHEN (NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')
    AND OLD.status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'))
  EXECUTE FUNCTION public.shannon_add_task_to_daily_aggregate();
CREATE TRIGGER usage_daily_aggregates_set_updated_at BEFORE UPDATE ON public.usage_daily_aggregates
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
