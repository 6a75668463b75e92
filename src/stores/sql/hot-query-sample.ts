/** The sample the hot-query test and benchmark derive parameters from (owner connection, all tenants). */
import { UUID_PATTERN } from '../../validation/checks.js';
import { cursorTimeSql } from '../keyset.js';

// Not a hot query: a one-off scan that finds the busiest tenant, user, session and workflow.
export const HOT_QUERY_SAMPLE = `
WITH tenant AS (
  SELECT tenant_id FROM public.task_executions GROUP BY tenant_id ORDER BY count(*) DESC, tenant_id LIMIT 1
), usr AS (
  SELECT t.user_id FROM public.task_executions t, tenant
  WHERE t.tenant_id = tenant.tenant_id AND t.user_id IS NOT NULL
  GROUP BY t.user_id ORDER BY count(*) DESC, t.user_id LIMIT 1
), sess AS (
  SELECT t.session_id FROM public.task_executions t, tenant, usr
  WHERE t.tenant_id = tenant.tenant_id AND t.user_id = usr.user_id
    AND t.session_id ~ '${UUID_PATTERN.source}'
  GROUP BY t.session_id ORDER BY count(*) DESC, t.session_id LIMIT 1
), deep AS (
  SELECT ${cursorTimeSql('t.started_at')} AS at, t.id FROM public.task_executions t, tenant
  WHERE t.tenant_id = tenant.tenant_id
  ORDER BY t.started_at DESC, t.id DESC OFFSET 10000 LIMIT 1
)
SELECT tenant.tenant_id, usr.user_id, sess.session_id,
  (SELECT s.external_id FROM public.sessions s
   WHERE s.tenant_id = tenant.tenant_id AND s.external_id IS NOT NULL AND s.deleted_at IS NULL
   ORDER BY s.created_at DESC LIMIT 1) AS external_session_id,
  (SELECT t.workflow_id FROM public.task_executions t
   WHERE t.tenant_id = tenant.tenant_id AND t.session_id = sess.session_id
   ORDER BY t.started_at DESC LIMIT 1) AS workflow_id,
  ARRAY(SELECT t.workflow_id FROM public.task_executions t
        WHERE t.tenant_id = tenant.tenant_id AND t.session_id = sess.session_id
        ORDER BY t.started_at DESC LIMIT 5) AS session_workflow_ids,
  ARRAY(SELECT a.agent_id FROM public.agent_executions a
        WHERE a.tenant_id = tenant.tenant_id AND a.created_at > now() - interval '7 days'
        GROUP BY a.agent_id ORDER BY count(*) DESC, a.agent_id LIMIT 3) AS agent_ids,
  (SELECT at FROM deep) AS deep_at, (SELECT id FROM deep) AS deep_id
FROM tenant, usr, sess`;
