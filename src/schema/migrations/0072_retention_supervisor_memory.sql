-- Retention of the supervisor's growing tables (src/ops/retention-policies.ts): each tenant's
-- purge reads its rows older than the cut-off through an index on the age column.
CREATE INDEX decomposition_patterns_tenant_updated_idx ON public.decomposition_patterns (tenant_id, updated_at);
CREATE INDEX team_compositions_tenant_created_idx ON public.team_compositions (tenant_id, created_at);
