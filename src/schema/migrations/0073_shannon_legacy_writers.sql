-- Shannon's own services keep writing with their own statements (docs/shannon-compat.md).
-- What they leave out or send differently is made good here, as far as our invariants allow:
-- * agent_executions.task_id holds what Shannon writes there, a workflow id (it was a uuid here
--   and nothing joins on it);
-- * a schedule's executions are unique by (schedule_id, task_id), Shannon's ON CONFLICT target
--   (a schedule id names one tenant's schedule, so this is the tenant-leading key's equal);
-- * a row without tenant_id takes it from its user, its task or its workflow, or else from the
--   setting shannon.default_tenant_id (bound to Shannon's role by `adopt legacy-role`); a row
--   without idempotency_key gets one derived from its id; JSON objects sent as NULL are {};
-- * a session's external id is kept both in the column and in context->>'external_id', where
--   Shannon looks for it.
-- The fills run only for rows that lack a value (the triggers' WHEN is checked before any
-- function is called), so Shannon Data's own writers, which always set them, pay nothing.

ALTER TABLE public.agent_executions ALTER COLUMN task_id TYPE varchar(255) USING task_id::text;

-- Shannon's rows name their task by workflow id only; the fill (and `adopt shannon`) finds the
-- tenant through it, once per row, so it must be an index probe, not a scan of every key.
CREATE INDEX task_execution_keys_workflow_idx ON public.task_execution_keys (workflow_id);

ALTER TABLE public.scheduled_task_executions
  ADD CONSTRAINT scheduled_task_executions_schedule_id_task_id_key UNIQUE (schedule_id, task_id);

CREATE FUNCTION public.shannon_legacy_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  row_json jsonb := to_jsonb(NEW);
  patch jsonb := '{}';
  tenant uuid;
  col text;
BEGIN
  IF row_json ? 'tenant_id' AND row_json->'tenant_id' = 'null' THEN
    IF row_json->>'user_id' ~ '^[0-9a-fA-F-]{36}$' THEN
      IF TG_TABLE_SCHEMA = 'auth' THEN
        SELECT u.tenant_id INTO tenant FROM auth.users u WHERE u.id = (row_json->>'user_id')::uuid;
      ELSE
        SELECT u.tenant_id INTO tenant FROM public.users u WHERE u.id = (row_json->>'user_id')::uuid;
      END IF;
    END IF;
    IF tenant IS NULL AND row_json->>'workflow_id' IS NOT NULL THEN
      SELECT k.tenant_id INTO tenant FROM public.task_execution_keys k
       WHERE k.workflow_id = row_json->>'workflow_id' ORDER BY k.started_at LIMIT 1;
    END IF;
    IF tenant IS NULL AND TG_TABLE_NAME IN ('token_usage', 'learning_cases')
       AND row_json->>'task_id' ~ '^[0-9a-fA-F-]{36}$' THEN
      SELECT k.tenant_id INTO tenant FROM public.task_execution_keys k
       WHERE k.task_id = (row_json->>'task_id')::uuid LIMIT 1;
    END IF;
    IF tenant IS NULL AND TG_TABLE_NAME = 'scheduled_task_executions' THEN
      SELECT s.tenant_id INTO tenant FROM public.scheduled_tasks s WHERE s.id = (row_json->>'schedule_id')::uuid;
    END IF;
    tenant := coalesce(tenant, NULLIF(current_setting('shannon.default_tenant_id', true), '')::uuid);
    IF tenant IS NULL THEN
      RAISE EXCEPTION 'null value in column "tenant_id" of relation "%": no user, task or workflow names the tenant and shannon.default_tenant_id is not set', TG_TABLE_NAME
        USING ERRCODE = '23502', HINT = 'Bind the writing role to a tenant: shannon-data adopt legacy-role <role>';
    END IF;
    patch := patch || jsonb_build_object('tenant_id', tenant);
  END IF;
  IF row_json ? 'idempotency_key' AND row_json->'idempotency_key' = 'null' THEN
    patch := patch || jsonb_build_object('idempotency_key', 'legacy:' || (row_json->>'id'));
  END IF;
  FOREACH col IN ARRAY ARRAY['metadata', 'response', 'payload', 'details', 'context', 'snapshot_data',
                             'task_context', 'input_params', 'parameters'] LOOP
    IF row_json ? col AND row_json->col = 'null' THEN
      patch := patch || jsonb_build_object(col, '{}'::jsonb);
    END IF;
  END LOOP;
  IF patch = '{}' THEN
    RETURN NEW;
  END IF;
  RETURN jsonb_populate_record(NEW, patch);
END
$$;
COMMENT ON FUNCTION public.shannon_legacy_fill() IS
  'Fills tenant_id, idempotency_key and NULL JSON objects for Shannon''s own writers (migration 0073).';

-- One trigger per table Shannon writes, its WHEN naming the columns that table has.
DO $$
DECLARE
  tbl regclass;
  conditions text[];
  col text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY[
    'public.users', 'public.sessions', 'public.task_executions', 'public.agent_executions',
    'public.tool_executions', 'public.token_usage', 'public.event_logs', 'public.audit_logs',
    'public.session_archives', 'public.learning_cases', 'public.tool_calls', 'public.scheduled_tasks',
    'public.scheduled_task_executions', 'auth.audit_logs', 'auth.api_keys', 'auth.refresh_tokens',
    'auth.users']::regclass[] LOOP
    conditions := ARRAY[]::text[];
    FOREACH col IN ARRAY ARRAY['tenant_id', 'idempotency_key', 'metadata', 'response', 'payload', 'details',
                               'context', 'snapshot_data', 'task_context', 'input_params', 'parameters'] LOOP
      IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = col AND NOT attisdropped) THEN
        conditions := conditions || format('NEW.%I IS NULL', col);
      END IF;
    END LOOP;
    EXECUTE format(
      'CREATE TRIGGER shannon_legacy_fill BEFORE INSERT ON %s FOR EACH ROW WHEN (%s) EXECUTE FUNCTION public.shannon_legacy_fill()',
      tbl, array_to_string(conditions, ' OR '));
  END LOOP;
END $$;

-- The session's external id, in the column (ours) and in the context (Shannon's lookups). A
-- session Shannon creates with the id only in its context gets the column too, unless a live
-- session of that user already holds it (Shannon may repeat a create; the second keeps it in the
-- context only, as adopt does for Shannon's own duplicates).
CREATE FUNCTION public.shannon_session_external_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.external_id IS NOT NULL THEN
    NEW.context := coalesce(NEW.context, '{}'::jsonb) || jsonb_build_object('external_id', NEW.external_id);
  ELSIF TG_OP = 'INSERT' AND NOT EXISTS (
      SELECT 1 FROM public.sessions s
       WHERE s.tenant_id = NEW.tenant_id AND s.user_id IS NOT DISTINCT FROM NEW.user_id
         AND s.external_id = NEW.context->>'external_id' AND s.deleted_at IS NULL) THEN
    NEW.external_id := NEW.context->>'external_id';
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION public.shannon_session_external_id() IS
  'Keeps sessions.external_id and context->>''external_id'' equal (migration 0073).';
-- Named to sort after shannon_legacy_fill, which may first fill a NULL context or tenant.
CREATE TRIGGER shannon_session_sync_external_id BEFORE INSERT OR UPDATE OF external_id, context ON public.sessions
  FOR EACH ROW WHEN (NEW.external_id IS DISTINCT FROM NEW.context->>'external_id')
  EXECUTE FUNCTION public.shannon_session_external_id();
