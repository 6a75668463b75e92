/**
 * User queries (`public.users`, the platform users the orchestrator names by a string id). Every
 * statement names the tenant explicitly (`tenant_id = $1`) even though row-level security would
 * filter too: the explicit predicate is what the indexes lead with.
 */
import { cursorTimeSql } from '../keyset.js';

const COLUMNS = `id, tenant_id, external_id, email, metadata, created_at, updated_at, deactivated_at`;

// Create; a taken (tenant, external id) is a unique violation (users_tenant_id_external_id_key),
// which the store reports as CONFLICT naming externalId.
export const INSERT_USER = `
INSERT INTO public.users (tenant_id, external_id, email, metadata)
VALUES ($1, $2, $3, $4)
RETURNING ${COLUMNS}`;

// Primary-key lookup, tenant predicate first (users_tenant_id_id_key).
export const SELECT_USER_BY_ID = `
SELECT ${COLUMNS} FROM public.users WHERE tenant_id = $1 AND id = $2`;

// Lookup by the caller's string id (users_tenant_id_external_id_key).
export const SELECT_USER_BY_EXTERNAL_ID = `
SELECT ${COLUMNS} FROM public.users WHERE tenant_id = $1 AND external_id = $2`;

// A tenant's users newest first, keyset on (created_at, id); users_tenant_created_idx (0061).
export const LIST_USERS_BY_TENANT = `
SELECT ${COLUMNS}, ${cursorTimeSql('created_at')} AS cursor_at FROM public.users
WHERE tenant_id = $1
  AND (created_at, id) < ($2::timestamptz, $3::uuid)
ORDER BY created_at DESC, id DESC
LIMIT $4`;

// Deactivate; idempotent (a deactivated user keeps its first deactivation time).
export const DEACTIVATE_USER = `
UPDATE public.users SET deactivated_at = coalesce(deactivated_at, now())
WHERE tenant_id = $1 AND id = $2
RETURNING ${COLUMNS}`;
