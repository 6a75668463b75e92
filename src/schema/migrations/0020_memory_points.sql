-- Vector memory, source of truth (SPEC P1): points, the transactional outbox that feeds the index
-- backends (Qdrant or the embedded ANN index), and collection versions (the alias pointer used when
-- an embedding model changes). The index backends are derived and rebuildable from these tables.

-- Physical collections: a logical collection (task_embeddings, …) has one active version at a time;
-- a model change adds a 'building' version that is backfilled and then swapped in.
CREATE TABLE public.memory_collection_versions (
  collection text NOT NULL CHECK (collection ~ '^[a-z][a-z0-9_]{0,47}$'),
  version integer NOT NULL CHECK (version >= 1),
  physical_name text NOT NULL CHECK (physical_name ~ '^[a-z][a-z0-9_]{0,62}$'),
  dimension integer NOT NULL CHECK (dimension BETWEEN 1 AND 65536),
  embedding_model text,
  state text NOT NULL CHECK (state IN ('building', 'active', 'retired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  PRIMARY KEY (collection, version),
  UNIQUE (physical_name)
);
-- At most one active version per logical collection: this row is the "alias" for the embedded backend.
CREATE UNIQUE INDEX memory_collection_versions_active ON public.memory_collection_versions (collection)
  WHERE state = 'active';
COMMENT ON TABLE public.memory_collection_versions IS
  'Versions of each vector collection; the active row is the alias target (Qdrant alias mirrors it).';

-- Vectors are stored as little-endian float32 bytes (bytea), not real[]: 4 bytes per component with
-- no per-element header or null bitmap (real[] costs 24 bytes of header plus a null check per
-- element on decode), one memcpy-able buffer for the ANN library, and the same bytes the index uses.
-- Nothing in SQL needs to read components (there is no pgvector here).
CREATE TABLE public.memory_points (
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  collection text NOT NULL REFERENCES public.memory_collection_versions (physical_name) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- Stable uint64 label of the point inside the embedded ANN index (usearch keys are integers).
  key bigint GENERATED ALWAYS AS IDENTITY,
  vector bytea NOT NULL CHECK (octet_length(vector) > 0 AND octet_length(vector) % 4 = 0),
  payload jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
  -- Bumped on every change; the index never keeps an older version than the outbox delivered.
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, collection, id)
);
-- Rebuild and reconcile page through one collection across tenants in key order.
CREATE INDEX memory_points_collection_key ON public.memory_points (collection, key);
COMMENT ON TABLE public.memory_points IS
  'Vector memory points (source of truth): float32 vector, payload, version; indexes are derived from it.';
SELECT public.shannon_enable_tenant_rls('public.memory_points');

-- One row per change of a point, written in the same transaction as the point (and as the caller's
-- own rows when a transaction is passed in). The relay delivers the point's CURRENT state, so an old
-- entry can never put back an older version; delivered rows are kept for a while so the embedded
-- index can replay what happened after its last snapshot.
CREATE TABLE public.memory_outbox (
  tenant_id uuid NOT NULL REFERENCES auth.tenants (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  collection text NOT NULL,
  point_id uuid NOT NULL,
  op text NOT NULL CHECK (op IN ('upsert', 'delete')),
  point_version bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  PRIMARY KEY (tenant_id, id)
);
-- The relay's queue: undelivered rows in order.
CREATE INDEX memory_outbox_pending ON public.memory_outbox (id) WHERE delivered_at IS NULL;
-- Snapshot catch-up (rows after a sequence number) and the purge of old delivered rows.
CREATE INDEX memory_outbox_id ON public.memory_outbox (id);
COMMENT ON TABLE public.memory_outbox IS
  'Transactional outbox of vector memory changes; the relay delivers them to the index backend.';
SELECT public.shannon_enable_tenant_rls('public.memory_outbox');
