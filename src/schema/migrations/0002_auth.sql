-- Authentication schema: tenants, users, API keys, refresh tokens and the auth audit trail.
-- Fixes vs the original (003/012): timestamptz everywhere (W32), no seeded admin or password (W33),
-- no duplicate indexes (idx_users_email, idx_refresh_tokens_token_hash), plan vocabulary checked.

CREATE TABLE auth.tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(255) NOT NULL,
  slug varchar(100) NOT NULL,
  plan varchar(50) NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
  token_limit bigint NOT NULL DEFAULT 10000 CHECK (token_limit >= 0),
  monthly_token_usage bigint NOT NULL DEFAULT 0 CHECK (monthly_token_usage >= 0),
  rate_limit_per_hour integer NOT NULL DEFAULT 1000 CHECK (rate_limit_per_hour >= 0),
  is_active boolean NOT NULL DEFAULT true,
  metadata jsonb NOT NULL DEFAULT '{}',
  workspace_retention_days integer NOT NULL DEFAULT 7 CHECK (workspace_retention_days > 0),
  workspace_max_size_gb integer NOT NULL DEFAULT 5 CHECK (workspace_max_size_gb > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tenants_slug_key UNIQUE (slug)
);
COMMENT ON TABLE auth.tenants IS
  'Tenants. Not RLS-scoped (a row IS the tenant); the application role may only SELECT it.';
CREATE TRIGGER tenants_set_updated_at BEFORE UPDATE ON auth.tenants
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
REVOKE INSERT, UPDATE, DELETE ON auth.tenants FROM shannon_app;

CREATE TABLE auth.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email varchar(255) NOT NULL,
  username varchar(100) NOT NULL,
  password_hash text NOT NULL,
  full_name varchar(255),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  role varchar(50) NOT NULL DEFAULT 'user' CHECK (role IN ('owner', 'admin', 'user', 'viewer')),
  is_active boolean NOT NULL DEFAULT true,
  is_verified boolean NOT NULL DEFAULT false,
  email_verified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login timestamptz,
  metadata jsonb NOT NULL DEFAULT '{}',
  -- Login looks users up by email or username before any tenant is known, so these stay global
  -- (documented exception to "unique keys lead with tenant_id").
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_username_key UNIQUE (username),
  -- Target of the composite (tenant_id, user_id) foreign keys, which keep children in the user's tenant;
  -- also serves the tenant_id foreign key.
  CONSTRAINT users_tenant_id_id_key UNIQUE (tenant_id, id)
);
COMMENT ON TABLE auth.users IS 'Accounts that log in (password digests only; no account is seeded).';
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
SELECT public.shannon_enable_tenant_rls('auth.users');

CREATE TABLE auth.api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key_hash text NOT NULL,
  key_prefix varchar(20) NOT NULL,
  user_id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  name varchar(255) NOT NULL,
  description text,
  scopes text[] NOT NULL DEFAULT ARRAY['workflows:read', 'workflows:write', 'agents:execute'],
  rate_limit_per_hour integer NOT NULL DEFAULT 1000 CHECK (rate_limit_per_hour >= 0),
  last_used timestamptz,
  expires_at timestamptz,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  metadata jsonb NOT NULL DEFAULT '{}',
  -- A digest of a random secret; looked up before the tenant is known (documented exception).
  CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
  CONSTRAINT api_keys_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES auth.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE auth.api_keys IS 'API keys stored as digests, found by prefix and compared in constant time.';
-- API-key authentication: WHERE key_prefix = $1 AND is_active (inventory 2.6).
CREATE INDEX api_keys_key_prefix_idx ON auth.api_keys (key_prefix);
-- FK (tenant_id, user_id) and the tenant FK; listing a user's keys.
CREATE INDEX api_keys_tenant_id_user_id_idx ON auth.api_keys (tenant_id, user_id);
SELECT public.shannon_enable_tenant_rls('auth.api_keys');

CREATE TABLE auth.refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  token_hash text NOT NULL,
  user_id uuid NOT NULL,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  revoked_at timestamptz,
  ip_address inet,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Refresh looks the token up by digest before the tenant is known (documented exception).
  CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
  CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES auth.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE auth.refresh_tokens IS 'Refresh tokens as digests; expired rows are removed by retention.';
-- FK (tenant_id, user_id) and the tenant FK; revoking all tokens of a user.
CREATE INDEX refresh_tokens_tenant_id_user_id_idx ON auth.refresh_tokens (tenant_id, user_id);
SELECT public.shannon_enable_tenant_rls('auth.refresh_tokens');

-- Append-only; partitioned by month so retention drops whole partitions (W21).
CREATE TABLE auth.audit_logs (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  event_type varchar(100) NOT NULL,
  -- Deliberately no foreign key: an audit trail keeps the actor's id after the account is deleted.
  user_id uuid,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  ip_address inet,
  user_agent text,
  details jsonb NOT NULL DEFAULT '{}',
  idempotency_key text COLLATE "C" NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at),
  -- Write-path idempotency; the partition key is part of it (the writer replays created_at unchanged).
  CONSTRAINT audit_logs_idempotency_key UNIQUE (tenant_id, idempotency_key, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE auth.audit_logs IS 'Authentication audit trail (logins, key use); append-only, monthly partitions.';
SELECT public.shannon_enable_tenant_rls('auth.audit_logs');
SELECT count(*) FROM public.shannon_create_monthly_partitions('auth.audit_logs', 3, 3);
