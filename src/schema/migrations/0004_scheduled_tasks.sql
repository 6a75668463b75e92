-- Scheduled tasks and their executions (original 009).
-- Fixes: pause_reason exists (W7), the execution table has the columns RecordScheduleExecution writes
-- (W7), status vocabularies are checked, the duplicate temporal id index and the redundant
-- (schedule_id) prefix index are gone, and the history view runs with the caller's rights (RLS).

CREATE TABLE public.scheduled_tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  name varchar(255) NOT NULL,
  description text,
  cron_expression varchar(100) NOT NULL,
  timezone varchar(50) NOT NULL DEFAULT 'UTC',
  task_query text NOT NULL,
  task_context jsonb NOT NULL DEFAULT '{}',
  max_budget_per_run_usd numeric(10, 4),
  timeout_seconds integer NOT NULL DEFAULT 3600 CHECK (timeout_seconds > 0),
  temporal_schedule_id varchar(255) NOT NULL,
  status varchar(20) NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PAUSED', 'DELETED')),
  pause_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_run_at timestamptz,
  next_run_at timestamptz,
  total_runs integer NOT NULL DEFAULT 0,
  successful_runs integer NOT NULL DEFAULT 0,
  failed_runs integer NOT NULL DEFAULT 0,
  -- T12 schedule activities find a schedule by its Temporal id.
  CONSTRAINT scheduled_tasks_temporal_schedule_id_key UNIQUE (tenant_id, temporal_schedule_id),
  -- Target of composite FKs from task_executions and scheduled_task_executions.
  CONSTRAINT scheduled_tasks_tenant_id_id_key UNIQUE (tenant_id, id),
  CONSTRAINT scheduled_tasks_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.scheduled_tasks IS 'Cron-scheduled tasks backed by Temporal schedules; soft-deleted via status DELETED.';
CREATE TRIGGER scheduled_tasks_set_updated_at BEFORE UPDATE ON public.scheduled_tasks
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
-- T13 ListSchedules: a user's schedules newest first; FK (tenant_id, user_id).
CREATE INDEX scheduled_tasks_tenant_user_created_idx ON public.scheduled_tasks (tenant_id, user_id, created_at DESC);
SELECT public.shannon_enable_tenant_rls('public.scheduled_tasks');

CREATE TABLE public.scheduled_task_executions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  schedule_id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  -- The triggered task's workflow_id (Shannon's column name).
  task_id varchar(255) NOT NULL,
  triggered_at timestamptz NOT NULL DEFAULT now(),
  status varchar(50) CHECK (status IN ('PENDING', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')),
  total_cost_usd numeric(12, 6),
  error_message text,
  completed_at timestamptz,
  -- T12 idempotent record of a trigger (ON CONFLICT DO NOTHING); FK (tenant_id, schedule_id).
  CONSTRAINT scheduled_task_executions_schedule_task_key UNIQUE (tenant_id, schedule_id, task_id),
  CONSTRAINT scheduled_task_executions_schedule_fkey FOREIGN KEY (tenant_id, schedule_id)
    REFERENCES public.scheduled_tasks (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.scheduled_task_executions IS 'One row per run triggered by a schedule.';
-- T14 a schedule's run history newest first.
CREATE INDEX scheduled_task_executions_schedule_triggered_idx
  ON public.scheduled_task_executions (tenant_id, schedule_id, triggered_at DESC);
SELECT public.shannon_enable_tenant_rls('public.scheduled_task_executions');
