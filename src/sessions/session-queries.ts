/** SQL of the session cache: snapshots into session_archives, idempotent per written entry. */

export const INSERT_SESSION_SNAPSHOT = `
  INSERT INTO public.session_archives
    (session_id, user_id, snapshot_data, message_count, total_tokens, total_cost_usd,
     session_started_at, ttl_expires_at, tenant_id, idempotency_key)
  -- A user id that names no user of the tenant is kept only inside snapshot_data.
  VALUES ($1, (SELECT u.id FROM public.users u WHERE u.tenant_id = $9 AND u.id = $2::uuid), $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT (tenant_id, idempotency_key) DO NOTHING`;

/** Restore: the latest snapshot of a session (served by session_archives_tenant_session_taken_idx). */
export const SELECT_LATEST_SNAPSHOT = `
  SELECT user_id, snapshot_data, message_count, total_tokens, total_cost_usd, session_started_at,
         snapshot_taken_at
  FROM public.session_archives
  WHERE tenant_id = $1 AND session_id = $2
  ORDER BY snapshot_taken_at DESC LIMIT 1`;

/**
 * A snapshot of a session's hot state renews its record's expiry to $3 days from now (at most once
 * a day per session): a session in use is never expired by retention. The cache's session id is
 * the record's uuid or its external id; one statement per arm, each served by its index.
 */
export const RENEW_SESSION_BY_ID = `
  UPDATE public.sessions SET expires_at = now() + make_interval(days => $3)
  WHERE tenant_id = $1 AND id = $2::uuid AND deleted_at IS NULL
    AND (expires_at IS NULL OR expires_at < now() + make_interval(days => $3) - interval '1 day')`;

export const RENEW_SESSION_BY_EXTERNAL_ID = `
  UPDATE public.sessions SET expires_at = now() + make_interval(days => $3)
  WHERE tenant_id = $1 AND external_id = $2 AND deleted_at IS NULL
    AND (expires_at IS NULL OR expires_at < now() + make_interval(days => $3) - interval '1 day')`;
