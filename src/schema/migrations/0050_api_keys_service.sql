-- API keys for services (the HTTP API's callers): a key belongs to a tenant and may have no login
-- user, records when it was revoked, and can be found by its lookup prefix before any tenant is
-- known. The prefix is random and unique, so authentication reads exactly one row.

ALTER TABLE auth.api_keys ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE auth.api_keys ADD COLUMN revoked_at timestamptz;
ALTER TABLE auth.api_keys ADD CONSTRAINT api_keys_revoked_inactive
  CHECK (revoked_at IS NULL OR NOT is_active);

-- The prefix is a non-secret key id chosen at random; unique so a lookup returns one row.
-- Replaces the plain prefix index (same column, now unique).
DROP INDEX auth.api_keys_key_prefix_idx;
ALTER TABLE auth.api_keys ADD CONSTRAINT api_keys_key_prefix_key UNIQUE (key_prefix);

-- Authentication happens before the tenant is known, so the role the service connects as (the
-- migration role) may read key rows of every tenant. The application role that tenant transactions
-- switch to keeps only the tenant_isolation policy.
CREATE POLICY api_keys_authenticate ON auth.api_keys FOR SELECT TO CURRENT_USER USING (true);
