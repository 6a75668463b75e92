/**
 * SQL of the auth module. Tenants and key lookups run as the connecting (migration) role, before a
 * tenant is known; everything else about keys runs in the key's tenant transaction.
 */

export const INSERT_TENANT = `
  INSERT INTO auth.tenants (name, slug, plan, rate_limit_per_hour)
  VALUES ($1, $2, $3, $4)
  RETURNING id, name, slug, plan, rate_limit_per_hour, is_active, created_at`;

export const SELECT_TENANT_BY_SLUG = `
  SELECT id, name, slug, plan, rate_limit_per_hour, is_active, created_at
  FROM auth.tenants WHERE slug = $1`;

export const SELECT_TENANT_BY_ID = `
  SELECT id, name, slug, plan, rate_limit_per_hour, is_active, created_at
  FROM auth.tenants WHERE id = $1`;

export const SELECT_TENANTS = `
  SELECT id, name, slug, plan, rate_limit_per_hour, is_active, created_at
  FROM auth.tenants ORDER BY created_at, id LIMIT $1`;

/** Changes a tenant's plan and request limit; null keeps a value ($1 is the tenant's id). */
export const UPDATE_TENANT = `
  UPDATE auth.tenants
  SET plan = coalesce($2, plan), rate_limit_per_hour = coalesce($3, rate_limit_per_hour)
  WHERE id = $1
  RETURNING id, name, slug, plan, rate_limit_per_hour, is_active, created_at`;

export const INSERT_API_KEY = `
  INSERT INTO auth.api_keys (key_hash, key_prefix, tenant_id, name, scopes, rate_limit_per_hour, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  RETURNING id, key_prefix, tenant_id, name, scopes, expires_at, created_at`;

/** Authentication: the keys of a prefix (one in practice, migration 0074), with the tenant's state and plan limit. */
export const SELECT_KEY_FOR_AUTH = `
  SELECT k.id, k.key_hash, k.tenant_id, k.scopes, k.is_active, k.expires_at <= now() AS expired, k.expires_at,
         t.is_active AS tenant_active, t.rate_limit_per_hour, t.slug
  FROM auth.api_keys k JOIN auth.tenants t ON t.id = k.tenant_id
  WHERE k.key_prefix = $1`;

export const SELECT_KEYS_OF_TENANT = `
  SELECT id, key_prefix, name, scopes, is_active, expires_at, revoked_at, last_used, created_at
  FROM auth.api_keys WHERE tenant_id = $1 ORDER BY created_at, id`;

/** The tenant of a key given its prefix or id (read as the connecting role, before any tenant). */
export const SELECT_KEY_TENANT = `
  SELECT tenant_id FROM auth.api_keys WHERE key_prefix = $1 OR id::text = $1`;

export const REVOKE_KEY = `
  UPDATE auth.api_keys SET is_active = false, revoked_at = coalesce(revoked_at, now())
  WHERE tenant_id = $1 AND (id::text = $2 OR key_prefix = $2)
  RETURNING id, key_prefix, revoked_at`;

/** Bounded write amplification: last_used moves at most once a minute per key. */
export const TOUCH_KEY = `
  UPDATE auth.api_keys SET last_used = now()
  WHERE id = $1 AND (last_used IS NULL OR last_used < now() - interval '1 minute')`;
