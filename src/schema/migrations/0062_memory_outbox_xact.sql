-- Every service instance with the embedded index follows the outbox by its own cursor
-- (src/memory/index-follower.ts), so points written through one instance reach the others' indexes.
-- Outbox ids are handed out before commit, so a later id can commit first: a cursor over ids alone
-- would skip a row that commits late. The writing transaction's id, read back only once it is below
-- every running transaction (pg_snapshot_xmin), gives an order in which nothing can appear behind
-- the cursor. Rows written before this migration have no xact; they were delivered by the relay.
-- The default is set after the column is added, so existing rows are not rewritten.
ALTER TABLE public.memory_outbox ADD COLUMN xact xid8;
ALTER TABLE public.memory_outbox ALTER COLUMN xact SET DEFAULT pg_current_xact_id();
COMMENT ON COLUMN public.memory_outbox.xact IS
  'Top-level transaction that wrote the row; the order in which index followers read the outbox.';
CREATE INDEX memory_outbox_xact ON public.memory_outbox (xact, id);
