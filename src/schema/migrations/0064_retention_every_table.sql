-- Retention for every growing table (src/ops/retention-policies.ts). Each purge deletes a tenant's
-- rows older than a cutoff on one time column, in batches chosen by that column; without an index
-- leading with (tenant_id, column) each batch scanned the whole table.

-- Sessions expire: expires_at is set on create and renewed on every write of the session and on
-- every snapshot of its hot state (DEFAULT_SESSION_LIFETIME_DAYS, 30 days), and a soft delete sets
-- it to the deletion time. Rows written before this migration get the same rule.
UPDATE public.sessions SET expires_at = coalesce(deleted_at, updated_at + interval '30 days')
 WHERE expires_at IS NULL;
CREATE INDEX sessions_tenant_expires_idx ON public.sessions (tenant_id, expires_at)
  WHERE expires_at IS NOT NULL;

-- Session archives are kept for their own retention on snapshot_taken_at, no longer purged when
-- the cache TTL (ttl_expires_at) passes: sessions resume from their last snapshot.
CREATE INDEX session_archives_tenant_taken_idx ON public.session_archives (tenant_id, snapshot_taken_at);

CREATE INDEX learning_cases_tenant_created_idx ON public.learning_cases (tenant_id, created_at);

-- Keys go a month after their tasks' retention (a task's partition goes only once wholly expired).
CREATE INDEX task_execution_keys_tenant_started_idx ON public.task_execution_keys (tenant_id, started_at);

-- Memory points expire per collection (document_chunks kept unless configured).
CREATE INDEX memory_points_tenant_collection_created_idx
  ON public.memory_points (tenant_id, collection, created_at);

-- The refresh-token purge: expired tokens, and revoked ones past their forensic period.
CREATE INDEX refresh_tokens_expires_idx ON auth.refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_revoked_idx ON auth.refresh_tokens ((coalesce(revoked_at, created_at)))
  WHERE revoked;
