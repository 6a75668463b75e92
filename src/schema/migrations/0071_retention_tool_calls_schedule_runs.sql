-- Retention of the two growing tables Shannon's services write directly (src/ops/retention-policies.ts):
-- tool calls (180 days, as tool executions) and the runs of schedules (as their tasks). Each purge
-- deletes a tenant's rows older than a cutoff in batches; these indexes serve it.
CREATE INDEX tool_calls_tenant_created_idx ON public.tool_calls (tenant_id, created_at);
CREATE INDEX scheduled_task_executions_tenant_triggered_idx
  ON public.scheduled_task_executions (tenant_id, triggered_at);
