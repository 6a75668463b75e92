/**
 * SQL of the vector memory (tables from migration 0020), in full view. Parameters are `$n`;
 * arrays go through unnest so one statement handles a whole batch.
 */

/** Upserts points; an unchanged point is skipped (no version bump, no outbox row), so retries are no-ops. */
export const UPSERT_POINTS = `
WITH input AS (
  SELECT * FROM unnest($3::uuid[], $4::bytea[], $5::jsonb[]) AS t(id, vector, payload)
), upserted AS (
  INSERT INTO public.memory_points AS p (tenant_id, collection, id, vector, payload)
  SELECT $1, $2, id, vector, payload FROM input
  ON CONFLICT (tenant_id, collection, id) DO UPDATE
    SET vector = EXCLUDED.vector, payload = EXCLUDED.payload, version = p.version + 1, updated_at = now()
    WHERE p.vector IS DISTINCT FROM EXCLUDED.vector OR p.payload IS DISTINCT FROM EXCLUDED.payload
  RETURNING id, version
)
INSERT INTO public.memory_outbox (tenant_id, collection, point_id, op, point_version)
SELECT $1, $2, id, 'upsert', version FROM upserted
RETURNING point_id, point_version`;

/** Deletes points by id and queues their removal from the index. */
export const DELETE_POINTS = `
WITH deleted AS (
  DELETE FROM public.memory_points WHERE tenant_id = $1 AND collection = $2 AND id = ANY($3::uuid[])
  RETURNING id, version
)
INSERT INTO public.memory_outbox (tenant_id, collection, point_id, op, point_version)
SELECT $1, $2, id, 'delete', version + 1 FROM deleted
RETURNING point_id`;

/** Merges keys into a point's payload (a JSON null value removes nothing; use delete keys for that). */
export const UPDATE_PAYLOAD = `
WITH updated AS (
  UPDATE public.memory_points SET payload = payload || $4::jsonb, version = version + 1, updated_at = now()
  WHERE tenant_id = $1 AND collection = $2 AND id = $3::uuid
  RETURNING id, version
)
INSERT INTO public.memory_outbox (tenant_id, collection, point_id, op, point_version)
SELECT $1, $2, id, 'upsert', version FROM updated
RETURNING point_id`;

/** One page of a tenant's points in a collection (id order), for delete-by-filter on the source of truth. */
export const TENANT_POINTS_PAGE = `
SELECT id::text AS id, payload FROM public.memory_points
WHERE tenant_id = $1 AND collection = $2 AND id > $3::uuid
ORDER BY id LIMIT $4`;

/** Admin: one page of a collection across tenants in key order (rebuild, reconcile, embedded load). */
export const COLLECTION_POINTS_PAGE = `
SELECT tenant_id::text AS tenant_id, id::text AS id, key, vector, payload, version
FROM public.memory_points WHERE collection = $1 AND key > $2 ORDER BY key LIMIT $3`;

/** Admin: id + version of every point of a collection in key order (reconcile, no vectors). */
export const COLLECTION_VERSIONS_PAGE = `
SELECT id::text AS id, key, version FROM public.memory_points
WHERE collection = $1 AND key > $2 ORDER BY key LIMIT $3`;

/** Admin: current rows of the given points of one collection (the embedded index's catch-up). */
export const COLLECTION_POINTS_BY_IDS = `
SELECT tenant_id::text AS tenant_id, id::text AS id, key, vector, payload, version
FROM public.memory_points WHERE collection = $1 AND id = ANY($2::uuid[])`;

/**
 * Admin: current rows of the given points (the relay sends the current state, never the queued one).
 * The points are found by (collection, id), unique across tenants (migration 0021); the tenant is
 * compared with IS NOT DISTINCT FROM, which no index can serve, on purpose. With `=` the planner
 * may take memory_points_tenant_collection_created_idx for (tenant_id, collection) and filter the
 * ids: while the statistics do not know the tenant (a new tenant, a table not yet analyzed) it
 * estimates that as one row, but it reads every point of the tenant per id, so a relay pass of 256
 * ids over 20,000 points took 230 ms instead of 7 and delivery slowed as the tenant grew.
 */
export const POINTS_BY_IDS = `
SELECT p.tenant_id::text AS tenant_id, p.collection, p.id::text AS id, p.key, p.vector, p.payload, p.version
FROM public.memory_points p
JOIN unnest($1::uuid[], $2::text[], $3::uuid[]) AS t(tenant_id, collection, id)
  ON p.collection = t.collection AND p.id = t.id
WHERE p.tenant_id IS NOT DISTINCT FROM t.tenant_id`;

/**
 * Follower: outbox rows after the cursor ($1 xact, $2 id) written by transactions that have all
 * finished (below the oldest one still running), so no row can later appear behind the cursor.
 */
export const FOLLOW_OUTBOX = `
SELECT tenant_id::text AS tenant_id, id::text AS id, collection, point_id::text AS point_id, op, xact::text AS xact
FROM public.memory_outbox
WHERE (xact, id) > ($1::xid8, $2::bigint) AND xact < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY xact, id LIMIT $3`;

/** Follower: where to start — every transaction below this one has finished. */
export const OUTBOX_HORIZON = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xact`;

/** Admin: queues a re-delivery of the given points (reconcile repairs go through the outbox too). */
export const ENQUEUE_REDELIVERY = `
INSERT INTO public.memory_outbox (tenant_id, collection, point_id, op, point_version)
SELECT p.tenant_id, p.collection, p.id, 'upsert', p.version
FROM public.memory_points p WHERE p.collection = $1 AND p.id = ANY($2::uuid[])
RETURNING point_id`;

/**
 * Relay: takes the relay's lock for this transaction ($1) and turns sorts off for it, so the claim
 * below walks memory_outbox_pending in id order and stops at the batch. While the statistics think
 * few rows are pending (never analyzed, or analyzed while the outbox was drained) the planner would
 * rather read every pending row and sort them: 15 ms per pass with 20,000 pending, growing with
 * the backlog, against 1 ms. Nothing else the relay runs in its transaction needs a sort.
 */
export const RELAY_LOCK = `SELECT pg_try_advisory_xact_lock($1) AS ok, set_config('enable_sort', 'off', true)`;

/** Relay: the next batch of due outbox rows, locked so a concurrent relay skips them. */
export const CLAIM_OUTBOX = `
SELECT tenant_id::text AS tenant_id, id, collection, point_id::text AS point_id, op, created_at
FROM public.memory_outbox
WHERE delivered_at IS NULL AND next_attempt_at <= now()
ORDER BY id LIMIT $1
FOR UPDATE SKIP LOCKED`;

/** Relay: marks rows delivered. */
export const MARK_DELIVERED = `
UPDATE public.memory_outbox SET delivered_at = now(), last_error = NULL
WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::bigint[]))`;

/** Relay: records a failed attempt and schedules the next one ($3 = delay in milliseconds). */
export const MARK_FAILED = `
UPDATE public.memory_outbox
SET attempts = attempts + 1, last_error = $3,
    next_attempt_at = now() + make_interval(secs => least(300.0, $4::float8 * power(2, least(attempts, 12)) / 1000.0))
WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::bigint[]))`;

/**
 * Relay: the backend asked for less (Qdrant's rate limit): the rows wait `$4` ms, or Retry-After,
 * without counting an attempt, so a busy index never pushes them toward the 5-minute backoff.
 */
export const MARK_DEFERRED = `
UPDATE public.memory_outbox
SET last_error = $3, next_attempt_at = now() + make_interval(secs => least(300.0, $4::float8 / 1000.0))
WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::bigint[]))`;

/** Relay: makes every pending row due now (after a recovery, or from `drain({ force: true })`). */
export const MAKE_PENDING_DUE = `UPDATE public.memory_outbox SET next_attempt_at = now() WHERE delivered_at IS NULL`;

/** Outbox depth and the age of the oldest undelivered row in seconds. */
export const OUTBOX_STATS = `
SELECT count(*)::bigint AS depth, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS lag_seconds
FROM public.memory_outbox WHERE delivered_at IS NULL`;

/** Deletes delivered outbox rows older than $1 seconds. */
export const PURGE_DELIVERED = `
DELETE FROM public.memory_outbox WHERE delivered_at IS NOT NULL AND delivered_at < now() - make_interval(secs => $1)`;

/** Source-of-truth point count per collection (admin). */
export const COUNT_POINTS = `SELECT count(*)::bigint AS n FROM public.memory_points WHERE collection = $1`;

/** All collection versions. */
export const LIST_VERSIONS = `
SELECT collection, version, physical_name, dimension, embedding_model, state
FROM public.memory_collection_versions ORDER BY collection, version`;

/** Registers version 1 of a logical collection (physical name = logical name) when none exists. */
export const ENSURE_FIRST_VERSION = `
INSERT INTO public.memory_collection_versions (collection, version, physical_name, dimension, state, activated_at)
SELECT $1, 1, $1, $2, 'active', now()
WHERE NOT EXISTS (SELECT 1 FROM public.memory_collection_versions WHERE collection = $1)`;

/** Adds a building version of a logical collection. */
export const ADD_VERSION = `
INSERT INTO public.memory_collection_versions (collection, version, physical_name, dimension, embedding_model, state)
SELECT $1, coalesce(max(version), 0) + 1, $1 || '_v' || (coalesce(max(version), 0) + 1), $2, $3, 'building'
FROM public.memory_collection_versions WHERE collection = $1
RETURNING version, physical_name`;

/** Retires the active version of a collection (first half of a swap, same transaction as ACTIVATE_VERSION). */
export const RETIRE_ACTIVE = `
UPDATE public.memory_collection_versions SET state = 'retired' WHERE collection = $1 AND state = 'active'`;

/** Activates a version (second half of a swap). */
export const ACTIVATE_VERSION = `
UPDATE public.memory_collection_versions SET state = 'active', activated_at = now()
WHERE collection = $1 AND version = $2 RETURNING physical_name`;
