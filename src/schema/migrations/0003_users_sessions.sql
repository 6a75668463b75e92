-- Platform users and conversation sessions.
-- Fixes vs the original (001/003/007/010): users unique per tenant (not globally) and without the
-- duplicate external_id index; sessions carry external_id as a real column with a per-tenant unique
-- key that also holds for anonymous sessions (NULLS NOT DISTINCT, W9); S1/S2 served by the primary key
-- and (tenant_id, external_id) instead of seq scans (W14); the five unused context indexes, the GIN
-- index and the expires_at index are gone (W19).

CREATE TABLE public.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The caller's string user id (or "auth-user:<uuid>"); unique within a tenant.
  external_id varchar(255) NOT NULL,
  email varchar(255),
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  auth_user_id uuid,
  -- U1 user lookup / upsert by external id; also serves the tenant FK.
  CONSTRAINT users_tenant_id_external_id_key UNIQUE (tenant_id, external_id),
  -- Target of the composite (tenant_id, user_id) FKs that keep child rows inside the user's tenant.
  CONSTRAINT users_tenant_id_id_key UNIQUE (tenant_id, id),
  -- One platform user per login account; serves the auth_user FK. NULLs (no login) do not conflict.
  CONSTRAINT users_tenant_id_auth_user_id_key UNIQUE (tenant_id, auth_user_id),
  CONSTRAINT users_auth_user_fkey FOREIGN KEY (tenant_id, auth_user_id)
    REFERENCES auth.users (tenant_id, id) ON DELETE SET NULL (auth_user_id)
);
COMMENT ON TABLE public.users IS 'Users of the agent platform as seen by the orchestrator (external string id per tenant).';
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON public.users
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
SELECT public.shannon_enable_tenant_rls('public.users');

CREATE TABLE public.sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid,
  -- Client-chosen session id (Shannon kept it only in context->>'external_id').
  external_id varchar(255),
  context jsonb NOT NULL DEFAULT '{}',
  token_budget integer NOT NULL DEFAULT 10000,
  -- Kept for Shannon's reads; the original never updates it.
  tokens_used integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  deleted_at timestamptz,
  -- Who soft-deleted the session; a plain id so the record survives that user's deletion.
  deleted_by uuid,
  CONSTRAINT sessions_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES public.users (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE public.sessions IS 'Conversation sessions; soft-deleted via deleted_at; id or external_id identifies one.';
CREATE TRIGGER sessions_set_updated_at BEFORE UPDATE ON public.sessions
  FOR EACH ROW EXECUTE FUNCTION public.shannon_set_updated_at();
-- S4 idempotent create: one live session per (tenant, user, external id); anonymous users included.
CREATE UNIQUE INDEX sessions_tenant_user_external_id_key ON public.sessions (tenant_id, user_id, external_id)
  NULLS NOT DISTINCT WHERE external_id IS NOT NULL AND deleted_at IS NULL;
-- S2 lookup by external id within the tenant (the uuid arm is the primary key).
CREATE INDEX sessions_tenant_external_id_idx ON public.sessions (tenant_id, external_id)
  WHERE external_id IS NOT NULL AND deleted_at IS NULL;
-- S3/S5 a user's sessions newest first; FK (tenant_id, user_id).
CREATE INDEX sessions_tenant_user_created_idx ON public.sessions (tenant_id, user_id, created_at DESC);
SELECT public.shannon_enable_tenant_rls('public.sessions');
