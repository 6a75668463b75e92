-- The two sides of the connecting (owner) role:
-- * Tenant transactions switch to shannon_app with `SET LOCAL ROLE`, which needs membership.
-- * Trusted internal work (migrations, the batched write path writing many tenants per
--   statement, the ops toolkit, retention) runs as the owner itself. Superusers bypass row-level
--   security; a non-superuser owner (a managed database's admin user, say) does not, and FORCE
--   would hide every row from it. It is made a member of shannon_system instead, and every tenant
--   table gets a policy admitting shannon_system, so both kinds of owner behave the same.
--   shannon_app is not a member of shannon_system, so tenant transactions stay filtered.
DO $$
BEGIN
  CREATE ROLE shannon_system NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;
COMMENT ON ROLE shannon_system IS 'Trusted internal work of Shannon Data: admitted by every tenant table''s RLS.';

DO $$
DECLARE
  role_name text;
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RETURN;
  END IF;
  FOREACH role_name IN ARRAY ARRAY['shannon_app', 'shannon_system'] LOOP
    IF NOT pg_has_role(current_user, role_name, 'MEMBER') THEN
      BEGIN
        EXECUTE format('GRANT %I TO %I', role_name, current_user);
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'role % must be a member of % (Shannon Data switches roles per transaction)',
          current_user, role_name
          USING HINT = format('As a superuser run: GRANT %I TO %I;', role_name, current_user);
      END;
    END IF;
  END LOOP;
END $$;

-- Same contract as in 0001, plus the shannon_system policy.
CREATE OR REPLACE FUNCTION public.shannon_enable_tenant_rls(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'tenant_isolation') THEN
    EXECUTE format('DROP POLICY tenant_isolation ON %s', tbl);
  END IF;
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s '
    'USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid) '
    'WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)',
    tbl);
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = tbl AND polname = 'shannon_system_access') THEN
    EXECUTE format('CREATE POLICY shannon_system_access ON %s TO shannon_system USING (true) WITH CHECK (true)', tbl);
  END IF;
END
$$;

-- Existing tenant tables and their partitions get the new policy.
DO $$
DECLARE
  tbl regclass;
BEGIN
  FOR tbl IN SELECT DISTINCT polrelid::regclass FROM pg_policy WHERE polname = 'tenant_isolation' LOOP
    PERFORM public.shannon_enable_tenant_rls(tbl);
  END LOOP;
END $$;
