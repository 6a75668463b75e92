/**
 * Delivers the memory outbox to the index backend: claims a batch of due rows, loads the CURRENT
 * state of each point (so a stale row can never put back an older version), upserts or deletes it
 * in the backend, and marks the rows delivered — all while holding a transaction-scoped advisory
 * lock, so two relays never interleave deliveries of the same point. Failures are recorded per
 * collection with exponential backoff; a backend asking for less (Qdrant's rate limit) defers the
 * rows by its Retry-After without counting an attempt; nothing is dropped.
 */
import type { Metrics } from '../observability/metrics.js';
import type { Queryable, TransactionOptions } from '../postgres/queryable.js';
import { type IndexedPoint, isBackendBusy, type VectorBackend } from './backend.js';
import { BackgroundLoop } from './background-loop.js';
import {
  CLAIM_OUTBOX,
  MAKE_PENDING_DUE,
  MARK_DEFERRED,
  MARK_DELIVERED,
  MARK_FAILED,
  OUTBOX_STATS,
  POINTS_BY_IDS,
  PURGE_DELIVERED,
  RELAY_LOCK,
} from './memory-queries.js';
import { decodeVector } from './vector.js';

/** The database the memory needs: queries plus transactions (satisfied by `Database`). */
export interface TransactionRunner extends Queryable {
  withTransaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/** Advisory lock key of the relay (one delivering relay per database). */
export const RELAY_LOCK_KEY = 7_305_914_420;
/** Rows a pass claims when the index is Qdrant (it splits its own requests by size). */
export const DEFAULT_RELAY_BATCH_SIZE = 256;
/**
 * Rows a pass claims when the index is the embedded one. Besides the graph insert, a pass costs a
 * claim, a load, a mark and a commit whose time grows much slower than the rows: in bench memory
 * --points 20000 they took 38-60 ms per 256-row pass and 80-100 ms per 1,024-row pass, so the
 * larger pass leaves the insert more of the time (relay 1,570-1,800 -> 2,200-2,600 points/s in
 * alternating runs on a loaded 2-core machine). Qdrant keeps 256: one request per pass there.
 */
export const DEFAULT_EMBEDDED_RELAY_BATCH_SIZE = 1024;
/**
 * Most points one call to the embedded index receives. Its insert runs synchronously on the event
 * loop (~0.2 ms a point on 2 threads): a pass's points go in chunks of this size with the loop let
 * run between them, so a 1,024-row pass never holds up searches for a whole pass's insert.
 */
export const EMBEDDED_UPSERT_CHUNK = 256;

/** The default rows per relay pass for a backend. */
export function defaultRelayBatchSize(backend: Pick<VectorBackend, 'kind'>): number {
  return backend.kind === 'embedded' ? DEFAULT_EMBEDDED_RELAY_BATCH_SIZE : DEFAULT_RELAY_BATCH_SIZE;
}

export const DEFAULT_RELAY_INTERVAL_MS = 200;
/** Base retry delay; doubles per attempt up to 5 minutes. */
export const DEFAULT_RELAY_RETRY_BASE_MS = 500;
/** Delivered outbox rows are kept this long for inspection (seconds). */
export const DEFAULT_PURGE_AFTER_SECONDS = 7 * 24 * 3600;

export interface OutboxRelayOptions {
  db: TransactionRunner;
  backend: VectorBackend;
  metrics?: Metrics | undefined;
  /** Maps a physical collection to its logical name for metric labels. */
  logicalName?: (physical: string) => string;
  /** Rows claimed per pass (default {@link defaultRelayBatchSize} of the backend). */
  batchSize?: number;
  intervalMs?: number;
  retryBaseMs?: number;
  /** Runs before each pass (e.g. the backend bootstrap); a rejection skips the pass. */
  prepare?: () => Promise<unknown>;
  /** Delivered rows older than this are purged (default 7 days; checked at most hourly). */
  purgeDeliveredAfterSeconds?: number;
  /** Called with each delivery error (logging hook). */
  onError?: (error: unknown, collection: string) => void;
}

/** Result of one relay pass. */
export interface RelayPassResult {
  claimed: number;
  delivered: number;
  failed: number;
  /** Rows the backend asked to send later (backpressure): not failed, not an attempt. */
  deferred: number;
  /** False when another relay held the lock. */
  ran: boolean;
}

interface PointRow {
  tenant_id: string;
  collection: string;
  id: string;
  key: string;
  vector: Buffer;
  payload: Record<string, unknown>;
  version: string;
}

/** Converts a stored row into what the index receives (tenant and version in the payload). */
export function toIndexedPoint(row: Omit<PointRow, 'collection'>): IndexedPoint {
  const version = Number(row.version);
  return {
    id: row.id,
    key: BigInt(row.key),
    vector: decodeVector(row.vector),
    payload: { ...row.payload, tenant_id: row.tenant_id, _version: version },
    version,
  };
}

/** An outbox row as the relay and the followers read it. */
export interface OutboxRow {
  tenant_id: string;
  id: string;
  collection: string;
  point_id: string;
  op: 'upsert' | 'delete';
}

/** What a batch of outbox rows asks of one collection: the rows, and the points' current state. */
export interface CollectionChanges {
  collection: string;
  rows: OutboxRow[];
  upserts: IndexedPoint[];
  deletes: string[];
}

/**
 * The current state of the points a batch of outbox rows names, per collection: present points
 * are upserted, absent ones deleted (so an old row can never put back an older version).
 */
export async function currentChanges(
  db: Queryable,
  rows: readonly OutboxRow[],
  operation: string,
): Promise<CollectionChanges[]> {
  const current = await db.query<PointRow>(
    POINTS_BY_IDS,
    [rows.map((r) => r.tenant_id), rows.map((r) => r.collection), rows.map((r) => r.point_id)],
    { operation },
  );
  const points = new Map(current.rows.map((p) => [`${p.collection}/${p.tenant_id}/${p.id}`, p]));
  const byCollection = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const list = byCollection.get(row.collection) ?? [];
    list.push(row);
    byCollection.set(row.collection, list);
  }
  return [...byCollection].map(([collection, list]) => {
    const upserts = new Map<string, IndexedPoint>();
    const deletes = new Set<string>();
    for (const row of list) {
      const point = points.get(`${collection}/${row.tenant_id}/${row.point_id}`);
      if (point === undefined) deletes.add(row.point_id);
      else upserts.set(point.id, toIndexedPoint(point));
    }
    return { collection, rows: list, upserts: [...upserts.values()], deletes: [...deletes] };
  });
}

/**
 * Applies one collection's changes to a backend; resolves only when all of them were accepted (a
 * failed chunk rejects, and the caller retries the whole collection: re-applying the current state
 * of a point is a no-op).
 */
export async function applyChanges(
  backend: VectorBackend,
  changes: Pick<CollectionChanges, 'collection' | 'upserts' | 'deletes'>,
): Promise<void> {
  const { upserts } = changes;
  if (backend.kind === 'embedded' && upserts.length > EMBEDDED_UPSERT_CHUNK) {
    for (let start = 0; start < upserts.length; start += EMBEDDED_UPSERT_CHUNK) {
      // Lets timers and I/O (searches, health checks) run between the synchronous inserts.
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      await backend.upsert(changes.collection, upserts.slice(start, start + EMBEDDED_UPSERT_CHUNK));
    }
  } else if (upserts.length > 0) await backend.upsert(changes.collection, upserts);
  if (changes.deletes.length > 0) await backend.delete(changes.collection, changes.deletes);
}

/** Delivers outbox rows to a backend; `start()` runs it on an interval, `drain()` until empty. */
export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private readonly loop: BackgroundLoop;

  constructor(options: OutboxRelayOptions) {
    this.options = options;
    this.loop = new BackgroundLoop(
      async () => {
        const pass = await this.runOnce();
        return pass.claimed > 0 && pass.failed === 0;
      },
      options.intervalMs ?? DEFAULT_RELAY_INTERVAL_MS,
      (error) => this.options.onError?.(error, '*'),
    );
  }

  /** One pass: claim up to `batchSize` due rows and deliver them. */
  async runOnce(): Promise<RelayPassResult> {
    const { db, backend, metrics } = this.options;
    const batchSize = this.options.batchSize ?? defaultRelayBatchSize(backend);
    const label = this.options.logicalName ?? ((p: string) => p);
    await this.options.prepare?.();
    await this.maybePurge();
    const result = await db.withTransaction(
      async (tx): Promise<RelayPassResult> => {
        const lock = await tx.query<{ ok: boolean }>(RELAY_LOCK, [RELAY_LOCK_KEY]);
        if (lock.rows[0]?.ok !== true)
          return { claimed: 0, delivered: 0, failed: 0, deferred: 0, ran: false };
        const claimed = await tx.query<OutboxRow>(CLAIM_OUTBOX, [batchSize], {
          operation: 'memory.relay_claim',
        });
        if (claimed.rows.length === 0) return { claimed: 0, delivered: 0, failed: 0, deferred: 0, ran: true };
        const changes = await currentChanges(tx, claimed.rows, 'memory.relay_load');
        let delivered = 0;
        let failed = 0;
        let deferred = 0;
        for (const { collection, rows, upserts, deletes } of changes) {
          const ids = { tenants: rows.map((r) => r.tenant_id), ids: rows.map((r) => r.id) };
          try {
            await applyChanges(backend, { collection, upserts, deletes });
            await tx.query(MARK_DELIVERED, [ids.tenants, ids.ids], { operation: 'memory.relay_mark' });
            delivered += rows.length;
            metrics?.memoryRelayDelivered.inc({ collection: label(collection) }, rows.length);
          } catch (error) {
            const message =
              error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
            if (isBackendBusy(error)) {
              deferred += rows.length;
              metrics?.memoryRelayDeferred.inc({ collection: label(collection) }, rows.length);
              const wait = error.details?.['retryAfterMs'];
              await tx.query(
                MARK_DEFERRED,
                [
                  ids.tenants,
                  ids.ids,
                  message,
                  typeof wait === 'number' ? wait : (this.options.retryBaseMs ?? DEFAULT_RELAY_RETRY_BASE_MS),
                ],
                { operation: 'memory.relay_mark_deferred' },
              );
              continue;
            }
            failed += rows.length;
            metrics?.memoryRelayFailures.inc({ collection: label(collection) });
            this.options.onError?.(error, collection);
            await tx.query(
              MARK_FAILED,
              [ids.tenants, ids.ids, message, this.options.retryBaseMs ?? DEFAULT_RELAY_RETRY_BASE_MS],
              { operation: 'memory.relay_mark_failed' },
            );
          }
        }
        return { claimed: claimed.rows.length, delivered, failed, deferred, ran: true };
      },
      { operation: 'memory.relay' },
    );
    await this.refreshStats().catch(() => undefined);
    return result;
  }

  private lastPurge = 0;

  /** Deletes old delivered rows, at most once an hour (the embedded index catches up from points, not from them). */
  private async maybePurge(): Promise<void> {
    if (Date.now() - this.lastPurge < 3_600_000) return;
    this.lastPurge = Date.now();
    await this.options.db.query(
      PURGE_DELIVERED,
      [this.options.purgeDeliveredAfterSeconds ?? DEFAULT_PURGE_AFTER_SECONDS],
      {
        operation: 'memory.outbox_purge',
      },
    );
  }

  /** Reads outbox depth and lag into the gauges and returns them. */
  async refreshStats(): Promise<{ depth: number; lagSeconds: number }> {
    const stats = await this.options.db.query<{ depth: string; lag_seconds: number }>(OUTBOX_STATS, [], {
      operation: 'memory.outbox_stats',
    });
    const depth = Number(stats.rows[0]?.depth ?? 0);
    const lagSeconds = Number(stats.rows[0]?.lag_seconds ?? 0);
    this.options.metrics?.memoryOutboxDepth.set(depth);
    this.options.metrics?.memoryOutboxLag.set(lagSeconds);
    return { depth, lagSeconds };
  }

  /**
   * Runs passes until the outbox is empty or `timeoutMs` passes. With `force`, rows waiting for a
   * backoff are made due first. Resolves to the remaining depth (0 when drained).
   */
  async drain(options: { timeoutMs?: number; force?: boolean } = {}): Promise<number> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    if (options.force === true)
      await this.options.db.query(MAKE_PENDING_DUE, [], { operation: 'memory.relay_force' });
    for (;;) {
      const pass = await this.runOnce();
      const { depth } = await this.refreshStats();
      if (depth === 0) return 0;
      if (Date.now() >= deadline) return depth;
      if (pass.claimed === 0 || pass.failed > 0) await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts delivering in the background every `intervalMs` (default 200 ms). */
  start(): void {
    this.loop.start();
  }

  /** Stops the background loop and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
