/**
 * Session queries. Every statement names the tenant explicitly (`tenant_id = $1`) even though
 * row-level security would filter too: the explicit predicate is what the indexes lead with.
 */
import { cursorTimeSql } from '../keyset.js';

const COLUMNS = `id, tenant_id, user_id, external_id, context, token_budget, tokens_used,
  created_at, updated_at, expires_at, deleted_at, deleted_by`;

// S4 (W9): idempotent create keyed on (tenant, user, external id); a replay returns the existing row
// instead of inserting a duplicate (anonymous users included: the unique index is NULLS NOT DISTINCT).
// A session expires $6 days after its last write (retention removes it some days later).
export const INSERT_SESSION_BY_EXTERNAL_ID = `
INSERT INTO public.sessions (tenant_id, user_id, external_id, context, token_budget, expires_at)
VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6))
ON CONFLICT (tenant_id, user_id, external_id) WHERE external_id IS NOT NULL AND deleted_at IS NULL
DO NOTHING
RETURNING ${COLUMNS}`;

// S4: idempotent create keyed on a caller-chosen uuid; a replay never overwrites the context (W9).
export const INSERT_SESSION_BY_ID = `
INSERT INTO public.sessions (id, tenant_id, user_id, context, token_budget, expires_at)
VALUES ($2, $1, $3, $4, $5, now() + make_interval(days => $6))
ON CONFLICT (id) DO NOTHING
RETURNING ${COLUMNS}`;

// S4 replay: the live session that won the (tenant, user, external id) key.
export const SELECT_SESSION_BY_USER_EXTERNAL_ID = `
SELECT ${COLUMNS} FROM public.sessions
WHERE tenant_id = $1 AND user_id IS NOT DISTINCT FROM $2 AND external_id = $3 AND deleted_at IS NULL`;

// S1/S2 uuid arm: primary-key lookup, no id::text cast (W14).
export const SELECT_SESSION_BY_ID = `
SELECT ${COLUMNS} FROM public.sessions
WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`;

// S1/S2 external arm: sessions_tenant_external_id_idx (tenant_id, external_id) partial on live rows.
// Several users of a tenant may reuse one external id; $3 (nullable) narrows to one user.
export const SELECT_SESSION_BY_EXTERNAL_ID = `
SELECT ${COLUMNS} FROM public.sessions
WHERE tenant_id = $1 AND external_id = $2 AND deleted_at IS NULL
  AND ($3::uuid IS NULL OR user_id = $3::uuid)
ORDER BY created_at DESC
LIMIT 1`;

// S3/S5: a user's live sessions newest first, keyset on (created_at, id); served by
// sessions_tenant_user_created_idx (tenant_id, user_id, created_at DESC). $3/$4 = cursor (the
// first page passes FIRST_PAGE from keyset.ts, so there is no optional-parameter OR).
export const LIST_SESSIONS_BY_USER = `
SELECT ${COLUMNS}, ${cursorTimeSql('created_at')} AS cursor_at FROM public.sessions
WHERE tenant_id = $1 AND user_id = $2 AND deleted_at IS NULL
  AND (created_at, id) < ($3::timestamptz, $4::uuid)
ORDER BY created_at DESC, id DESC
LIMIT $5`;

// S5 tenant-wide: the tenant's live sessions newest first; sessions_tenant_live_created_idx (0060).
export const LIST_SESSIONS_BY_TENANT = `
SELECT ${COLUMNS}, ${cursorTimeSql('created_at')} AS cursor_at FROM public.sessions
WHERE tenant_id = $1 AND deleted_at IS NULL
  AND (created_at, id) < ($2::timestamptz, $3::uuid)
ORDER BY created_at DESC, id DESC
LIMIT $4`;

// S6: live sessions of a tenant (workspace quota); index-only on sessions_tenant_live_created_idx (0060).
export const COUNT_LIVE_SESSIONS = `
SELECT count(*)::bigint AS count FROM public.sessions WHERE tenant_id = $1 AND deleted_at IS NULL`;

// S3 DeleteSession: soft delete; the external id becomes free again for a new session. A deleted
// session expires at once: retention ages it from then.
export const SOFT_DELETE_SESSION = `
UPDATE public.sessions SET deleted_at = now(), deleted_by = $3, expires_at = now()
WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`;

// W11: atomic merge of top-level context keys (title updates) instead of read-modify-write; the
// write renews the session's expiry ($4 days).
export const PATCH_SESSION_CONTEXT = `
UPDATE public.sessions SET context = context || $3::jsonb, expires_at = now() + make_interval(days => $4)
WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL
RETURNING ${COLUMNS}`;
