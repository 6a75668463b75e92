-- Foundation: the application role, the auth schema, default privileges and the helper functions
-- every later migration uses (updated_at trigger, tenant row-level security, monthly partitions).

-- Roles are cluster-wide and many test databases migrate at the same moment, so a concurrent
-- CREATE ROLE can fail with duplicate_object or with a unique_violation on pg_authid.
DO $$
BEGIN
  CREATE ROLE shannon_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

CREATE SCHEMA IF NOT EXISTS auth;
COMMENT ON SCHEMA auth IS 'Shannon authentication: tenants, users, API keys, refresh tokens, auth audit trail.';

GRANT USAGE ON SCHEMA public, auth TO shannon_app;

-- Every table, sequence and function created by the migration role from here on gets the
-- application grants; the migration bookkeeping table already exists and so gets none.
ALTER DEFAULT PRIVILEGES IN SCHEMA public, auth
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shannon_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, auth
  GRANT USAGE, SELECT ON SEQUENCES TO shannon_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, auth
  GRANT EXECUTE ON FUNCTIONS TO shannon_app;

-- BEFORE UPDATE trigger function: stamps updated_at (replaces the original's two copies).
CREATE FUNCTION public.shannon_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION public.shannon_set_updated_at() IS 'BEFORE UPDATE trigger: sets updated_at to now().';

-- Enables and forces row-level security on a tenant table with the one policy shape the data layer
-- relies on: rows are visible and writable only when tenant_id equals the transaction-scoped
-- app.tenant_id setting. With no setting (or an empty one) NULLIF yields NULL and no row matches.
CREATE FUNCTION public.shannon_enable_tenant_rls(tbl regclass) RETURNS void
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
END
$$;
COMMENT ON FUNCTION public.shannon_enable_tenant_rls(regclass) IS
  'Enables and forces RLS on a tenant table and (re)creates its tenant_isolation policy on app.tenant_id.';

-- Creates the DEFAULT partition and one partition per calendar month (UTC) from months_back before
-- to months_ahead after the current month, named <parent>_pYYYYMM / <parent>_default in the
-- parent's schema. Idempotent. Partitions get the parent's RLS, a comment, and no direct grants to
-- the application role (it reads and writes through the parent only). Returns the names created.
CREATE FUNCTION public.shannon_create_monthly_partitions(parent regclass, months_back integer, months_ahead integer)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  parent_schema text;
  parent_name text;
  parent_rls boolean;
  this_month timestamp;
  month_start timestamp;
  part_name text;
  i integer;
BEGIN
  IF months_back IS NULL OR months_ahead IS NULL OR months_back < 0 OR months_ahead < 0
     OR months_back + months_ahead > 600 THEN
    RAISE EXCEPTION 'months_back and months_ahead must be between 0 and 600 in total (got %, %)',
      months_back, months_ahead USING ERRCODE = '22023';
  END IF;
  SELECT n.nspname, c.relname, c.relrowsecurity
    INTO parent_schema, parent_name, parent_rls
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = parent AND c.relkind = 'p';
  IF NOT FOUND THEN
    RAISE EXCEPTION '% is not a partitioned table', parent USING ERRCODE = '42809';
  END IF;
  -- Suffixes are 8 bytes (_pYYYYMM, _default); PostgreSQL silently truncates names past 63 bytes,
  -- which would make two parents' partitions collide, so refuse instead.
  IF octet_length(parent_name) > 55 THEN
    RAISE EXCEPTION 'partitioned table name % is longer than 55 bytes', parent_name USING ERRCODE = '42622';
  END IF;

  part_name := parent_name || '_default';
  IF to_regclass(format('%I.%I', parent_schema, part_name)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s DEFAULT', parent_schema, part_name, parent);
    PERFORM public.shannon_prepare_partition(format('%I.%I', parent_schema, part_name)::regclass, parent_rls,
      format('Default partition of %s; must stay empty (rows here mean a monthly partition is missing).', parent));
    RETURN NEXT part_name;
  END IF;

  -- Month arithmetic on timestamp (not timestamptz) so the session TimeZone cannot shift bounds.
  this_month := date_trunc('month', now() AT TIME ZONE 'UTC');
  FOR i IN -months_back .. months_ahead LOOP
    month_start := this_month + make_interval(months => i);
    part_name := parent_name || '_p' || to_char(month_start, 'YYYYMM');
    IF to_regclass(format('%I.%I', parent_schema, part_name)) IS NULL THEN
      EXECUTE format('CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
        parent_schema, part_name, parent,
        to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00',
        to_char(month_start + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
      PERFORM public.shannon_prepare_partition(format('%I.%I', parent_schema, part_name)::regclass, parent_rls,
        format('Monthly partition of %s for %s (UTC).', parent, to_char(month_start, 'YYYY-MM')));
      RETURN NEXT part_name;
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION public.shannon_create_monthly_partitions(regclass, integer, integer) IS
  'Creates the DEFAULT partition and monthly partitions <parent>_pYYYYMM (UTC) around the current month; idempotent.';

-- Gives a new partition the parent's row-level security and a comment, and withdraws the default
-- grants: the application role reaches partitions only through the parent, whose policy applies.
CREATE FUNCTION public.shannon_prepare_partition(part regclass, with_rls boolean, description text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF with_rls THEN
    PERFORM public.shannon_enable_tenant_rls(part);
  END IF;
  EXECUTE format('COMMENT ON TABLE %s IS %L', part, description);
  EXECUTE format('REVOKE ALL ON %s FROM shannon_app', part);
END
$$;
COMMENT ON FUNCTION public.shannon_prepare_partition(regclass, boolean, text) IS
  'Applies RLS, a comment and the no-direct-access rule to a freshly created partition.';
