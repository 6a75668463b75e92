-- Operations toolkit bookkeeping (issue 6): the extensions it reads when the server has them, and
-- its own snapshot tables so "slow" and "unused" rest on windows it observed itself — the toolkit
-- never resets pg_stat_statements or the statistics collector (resets break other tools).

CREATE SCHEMA IF NOT EXISTS shannon_ops;
COMMENT ON SCHEMA shannon_ops IS 'Operations toolkit state (snapshots, conversions, archives); admin only.';
REVOKE ALL ON SCHEMA shannon_ops FROM PUBLIC;

-- Both extensions are optional: absent packages or missing privileges leave the toolkit degraded
-- (doctor reports EXTENSION_MISSING findings), never the migration failed.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  END IF;
EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR object_not_in_prerequisite_state OR unique_violation OR duplicate_object THEN
  RAISE NOTICE 'pg_stat_statements not created: %', SQLERRM;
END
$$;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg') THEN
    CREATE EXTENSION IF NOT EXISTS hypopg;
  END IF;
EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR unique_violation OR duplicate_object THEN
  RAISE NOTICE 'hypopg not created: %', SQLERRM;
END
$$;

-- Cumulative pg_stat_statements counters at the last capture, per entry; the next capture subtracts
-- them (a counter that went down means the entry was reset or evicted: the new value is the delta).
CREATE TABLE shannon_ops.statement_baseline (
  dbid oid NOT NULL,
  userid oid NOT NULL,
  queryid bigint NOT NULL,
  toplevel boolean NOT NULL,
  calls bigint NOT NULL,
  total_exec_time_ms double precision NOT NULL,
  rows bigint NOT NULL,
  shared_blks_hit bigint NOT NULL,
  shared_blks_read bigint NOT NULL,
  temp_blks_written bigint NOT NULL,
  captured_at timestamptz NOT NULL,
  PRIMARY KEY (dbid, userid, queryid, toplevel)
);

-- One row per entry and capture interval: what happened between two captures.
CREATE TABLE shannon_ops.statement_deltas (
  interval_start timestamptz NOT NULL,
  interval_end timestamptz NOT NULL,
  dbid oid NOT NULL,
  userid oid NOT NULL,
  queryid bigint NOT NULL,
  toplevel boolean NOT NULL,
  query text NOT NULL,
  calls bigint NOT NULL,
  total_exec_time_ms double precision NOT NULL,
  rows bigint NOT NULL,
  shared_blks_hit bigint NOT NULL,
  shared_blks_read bigint NOT NULL,
  temp_blks_written bigint NOT NULL,
  PRIMARY KEY (interval_end, dbid, userid, queryid, toplevel)
);
CREATE INDEX statement_deltas_queryid_idx ON shannon_ops.statement_deltas (queryid, interval_end);

-- idx_scan per index at each capture; an index is "unused" only when its count did not move since a
-- capture older than the window and the statistics were not reset in between.
CREATE TABLE shannon_ops.index_usage_snapshots (
  captured_at timestamptz NOT NULL,
  indexrelid oid NOT NULL,
  index_name text NOT NULL,
  idx_scan bigint NOT NULL,
  stats_reset timestamptz,
  PRIMARY KEY (indexrelid, captured_at)
);

-- Online conversion of an unpartitioned table into a partitioned one. While `moving`, the original
-- name is a view over <table>_partitioned UNION ALL <table>_legacy and each batch moves rows
-- atomically from legacy to partitioned, so a crash at any point resumes where it stopped.
CREATE TABLE shannon_ops.partition_conversions (
  source_table text PRIMARY KEY,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  partition_column text NOT NULL,
  key_columns text[] NOT NULL,
  state text NOT NULL CHECK (state IN ('moving', 'done')),
  rows_moved bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every archive export: where its files went and what they hold, so restore can verify them.
CREATE TABLE shannon_ops.archives (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  directory text NOT NULL,
  manifest jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  restored_at timestamptz
);
