-- shannon:no-transaction
-- The lexical leg of hybrid memory search (src/memory/hybrid-search.ts) matches the words of every
-- string value of a point's payload. This GIN index over exactly that expression serves it; built
-- CONCURRENTLY (outside a transaction) so a large memory_points keeps taking writes meanwhile. The
-- `simple` configuration neither stems nor drops words: identifiers and file names match as written.
-- A build that failed half-way leaves an invalid index behind, which the rerun drops first.
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'memory_points_lexical' AND c.relnamespace = 'public'::regnamespace AND NOT i.indisvalid) THEN DROP INDEX public.memory_points_lexical; END IF; END $$;
CREATE INDEX CONCURRENTLY IF NOT EXISTS memory_points_lexical
  ON public.memory_points USING gin (jsonb_to_tsvector('simple'::regconfig, payload, '["string"]'::jsonb));
