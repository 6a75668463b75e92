-- Daily usage aggregates follow every change of a counted task, not only its entry into a terminal
-- status. Until now a finished task whose totals grew (a re-sent COMPLETED record with more tokens),
-- whose user was filled in or cleared (ON DELETE SET NULL of its user), or that was deleted left its
-- day's aggregate with the old figures. Now a task leaves the aggregate it was counted in (its old
-- contribution is subtracted from the old (tenant, user, day)) and enters the one it belongs to
-- (its new contribution is added), all in the writer's transaction:
-- - the subtraction is an UPDATE of the existing row and the addition an INSERT … ON CONFLICT DO
--   UPDATE with increments; both take the aggregate row's lock, so concurrent writers add up;
-- - a replay that changes none of the counted columns fires nothing (the WHEN clause);
-- - a row whose last task left it is deleted, so a recount (src/ops/aggregates.ts) and the stored
--   rows agree row for row;
-- - an UPDATE that moves a task to another partition runs as DELETE + INSERT, which the delete and
--   insert triggers cover (PostgreSQL fires no AFTER UPDATE row trigger for it).
-- Dropping or detaching a partition fires no row trigger: the aggregates of those days stay.
-- Aggregates that drifted before this migration are repaired with `shannon-data aggregates rebuild`.

DROP TRIGGER task_executions_aggregate_on_insert ON public.task_executions;
DROP TRIGGER task_executions_aggregate_on_update ON public.task_executions;
DROP FUNCTION public.shannon_add_task_to_daily_aggregate();

CREATE FUNCTION public.shannon_apply_task_to_daily_aggregate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  emptied uuid;
  remaining integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT') THEN
    -- The row exists: OLD was counted when it became terminal. The two arms find it by
    -- usage_daily_aggregates_tenant_user_date_key with user_id NULL or not; a single
    -- IS NOT DISTINCT FROM (or an OR of both) would leave user_id out of the index condition.
    WITH target AS (
      SELECT t.id FROM public.usage_daily_aggregates t
       WHERE OLD.user_id IS NULL AND t.tenant_id = OLD.tenant_id AND t.user_id IS NULL
         AND t.date = (OLD.started_at AT TIME ZONE 'UTC')::date
      UNION ALL
      SELECT t.id FROM public.usage_daily_aggregates t
       WHERE t.tenant_id = OLD.tenant_id AND t.user_id = OLD.user_id
         AND t.date = (OLD.started_at AT TIME ZONE 'UTC')::date
    )
    UPDATE public.usage_daily_aggregates AS a SET
      total_tasks = a.total_tasks - 1,
      successful_tasks = a.successful_tasks - (OLD.status = 'COMPLETED')::int,
      failed_tasks = a.failed_tasks - (OLD.status IN ('FAILED', 'TIMEOUT'))::int,
      cancelled_tasks = a.cancelled_tasks - (OLD.status = 'CANCELLED')::int,
      total_tokens = a.total_tokens - OLD.total_tokens,
      cache_aware_total_tokens = a.cache_aware_total_tokens - OLD.cache_aware_total_tokens,
      total_cost_usd = a.total_cost_usd - OLD.total_cost_usd,
      tools_invoked = a.tools_invoked - OLD.tools_invoked,
      total_duration_ms = a.total_duration_ms - COALESCE(OLD.duration_ms, 0),
      duration_samples = a.duration_samples - (OLD.duration_ms IS NOT NULL)::int,
      avg_duration_ms = CASE WHEN a.duration_samples - (OLD.duration_ms IS NOT NULL)::int > 0
        THEN ((a.total_duration_ms - COALESCE(OLD.duration_ms, 0))
              / (a.duration_samples - (OLD.duration_ms IS NOT NULL)::int))::int
        END,
      cache_hits = a.cache_hits - OLD.cache_hits,
      updated_at = now()
    FROM target WHERE a.id = target.id
    RETURNING a.id, a.total_tasks INTO emptied, remaining;
    IF remaining = 0 THEN
      DELETE FROM public.usage_daily_aggregates WHERE id = emptied AND total_tasks = 0;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT') THEN
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
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION public.shannon_apply_task_to_daily_aggregate() IS
  'AFTER trigger on task_executions: subtracts a counted task''s old figures from its old day and adds its new figures to its new day.';

CREATE TRIGGER task_executions_aggregate_on_insert AFTER INSERT ON public.task_executions
  FOR EACH ROW WHEN (NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'))
  EXECUTE FUNCTION public.shannon_apply_task_to_daily_aggregate();
-- Fires when a terminal task (before or after) changes a column the aggregate counts or is keyed
-- by; a non-terminal update and an unchanged replay do not fire it.
CREATE TRIGGER task_executions_aggregate_on_update AFTER UPDATE ON public.task_executions
  FOR EACH ROW WHEN ((OLD.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')
      OR NEW.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'))
    AND (OLD.status, OLD.tenant_id, OLD.user_id, OLD.started_at, OLD.total_tokens,
         OLD.cache_aware_total_tokens, OLD.total_cost_usd, OLD.tools_invoked, OLD.duration_ms,
         OLD.cache_hits)
      IS DISTINCT FROM (NEW.status, NEW.tenant_id, NEW.user_id, NEW.started_at, NEW.total_tokens,
         NEW.cache_aware_total_tokens, NEW.total_cost_usd, NEW.tools_invoked, NEW.duration_ms,
         NEW.cache_hits))
  EXECUTE FUNCTION public.shannon_apply_task_to_daily_aggregate();
CREATE TRIGGER task_executions_aggregate_on_delete AFTER DELETE ON public.task_executions
  FOR EACH ROW WHEN (OLD.status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'))
  EXECUTE FUNCTION public.shannon_apply_task_to_daily_aggregate();

COMMENT ON TABLE public.usage_daily_aggregates IS
  'Per tenant, user and UTC day: totals of tasks in a terminal status; maintained by trigger deltas.';
