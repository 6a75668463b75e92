-- Platform users can be deactivated, and listed per tenant (the users store, src/stores/user-store.ts).
-- A deactivated user keeps its rows and its external id (a new user cannot take that id); the
-- column is null while the user is active.
ALTER TABLE public.users ADD COLUMN deactivated_at timestamptz;
COMMENT ON COLUMN public.users.deactivated_at IS 'When the user was deactivated; null while active.';
-- A tenant's users newest first, keyset on (created_at, id) (users list); the tenant prefix alone
-- would sort every user of the tenant.
CREATE INDEX users_tenant_created_idx ON public.users (tenant_id, created_at DESC, id DESC);
