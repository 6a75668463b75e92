-- Hot-query index for the stores (range 0060-0069).
-- S5 (a tenant's live sessions newest first, keyset on (created_at, id)) and S6 (live sessions of a
-- tenant, the workspace quota count) had only the tenant prefix of sessions_tenant_user_created_idx:
-- a bitmap scan plus a sort over every session of the tenant, deleted ones included (inventory S6).
-- This partial index serves S5 in order with LIMIT and S6 as an index-only count.
CREATE INDEX sessions_tenant_live_created_idx ON public.sessions (tenant_id, created_at DESC, id DESC)
  WHERE deleted_at IS NULL;
