/**
 * Delivers the memory outbox to the index backend: claims a batch of due rows, loads the CURRENT
 * state of each point (so a stale row can never put back an older version), upserts or deletes it
 * in the backend, and marks the rows delivered — all while holding a transaction-scoped advisory
 * lock, so two relays never interleave deliveries of the same point. Failures are recorded per
 * collection with exponential backoff; nothing is dropped.
 */
import type { Metrics } from '../observability/metrics.js';
import type { Queryable, TransactionOptions } from '../postgres/queryable.js';
import type { IndexedPoint, VectorBackend } from './backend.js';
import {
  CLAIM_OUTBOX,
  MAKE_PENDING_DUE,
  MARK_DELIVERED,
  MARK_FAILED,
  OUTBOX_STATS,
  POINTS_BY_IDS,
  PURGE_DELIVERED,
} from './memory-queries.js';
import { decodeVector } from './vector.js';

/** The database the memory needs: queries plus transactions (satisfied by `Database`). */
export interface TransactionRunner extends Queryable {
  withTransaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/** Advisory lock key of the relay (one delivering relay per database). */
export const RELAY_LOCK_KEY = 7_305_914_420;
export const DEFAULT_RELAY_BATCH_SIZE = 256;
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
  /** False when another relay held the lock. */
  ran: boolean;
}

interface OutboxRow {
  tenant_id: string;
  id: string;
  collection: string;
  point_id: string;
  op: 'upsert' | 'delete';
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

/** Delivers outbox rows to a backend; `start()` runs it on an interval, `drain()` until empty. */
export class OutboxRelay {
  private readonly options: OutboxRelayOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(options: OutboxRelayOptions) {
    this.options = options;
  }

  /** One pass: claim up to `batchSize` due rows and deliver them. */
  async runOnce(): Promise<RelayPassResult> {
    const { db, backend, metrics } = this.options;
    const batchSize = this.options.batchSize ?? DEFAULT_RELAY_BATCH_SIZE;
    const label = this.options.logicalName ?? ((p: string) => p);
    await this.options.prepare?.();
    await this.maybePurge();
    const result = await db.withTransaction(
      async (tx): Promise<RelayPassResult> => {
        const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
          RELAY_LOCK_KEY,
        ]);
        if (lock.rows[0]?.ok !== true) return { claimed: 0, delivered: 0, failed: 0, ran: false };
        const claimed = await tx.query<OutboxRow>(CLAIM_OUTBOX, [batchSize], {
          operation: 'memory.relay_claim',
        });
        if (claimed.rows.length === 0) return { claimed: 0, delivered: 0, failed: 0, ran: true };
        const current = await tx.query<PointRow>(
          POINTS_BY_IDS,
          [
            claimed.rows.map((r) => r.tenant_id),
            claimed.rows.map((r) => r.collection),
            claimed.rows.map((r) => r.point_id),
          ],
          { operation: 'memory.relay_load' },
        );
        const points = new Map(current.rows.map((p) => [`${p.collection}/${p.tenant_id}/${p.id}`, p]));
        const byCollection = new Map<string, OutboxRow[]>();
        for (const row of claimed.rows) {
          const list = byCollection.get(row.collection) ?? [];
          list.push(row);
          byCollection.set(row.collection, list);
        }
        let delivered = 0;
        let failed = 0;
        for (const [collection, rows] of byCollection) {
          const upserts = new Map<string, IndexedPoint>();
          const deletes = new Set<string>();
          for (const row of rows) {
            const point = points.get(`${collection}/${row.tenant_id}/${row.point_id}`);
            if (point === undefined) deletes.add(row.point_id);
            else upserts.set(point.id, toIndexedPoint(point));
          }
          const ids = { tenants: rows.map((r) => r.tenant_id), ids: rows.map((r) => r.id) };
          try {
            if (upserts.size > 0) await backend.upsert(collection, [...upserts.values()]);
            if (deletes.size > 0) await backend.delete(collection, [...deletes]);
            await tx.query(MARK_DELIVERED, [ids.tenants, ids.ids], { operation: 'memory.relay_mark' });
            delivered += rows.length;
            metrics?.memoryRelayDelivered.inc({ collection: label(collection) }, rows.length);
          } catch (error) {
            failed += rows.length;
            metrics?.memoryRelayFailures.inc({ collection: label(collection) });
            this.options.onError?.(error, collection);
            const message =
              error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
            await tx.query(
              MARK_FAILED,
              [ids.tenants, ids.ids, message, this.options.retryBaseMs ?? DEFAULT_RELAY_RETRY_BASE_MS],
              { operation: 'memory.relay_mark_failed' },
            );
          }
        }
        return { claimed: claimed.rows.length, delivered, failed, ran: true };
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
    if (this.timer !== undefined || this.stopped) return;
    const interval = this.options.intervalMs ?? DEFAULT_RELAY_INTERVAL_MS;
    const tick = async () => {
      try {
        for (;;) {
          const pass = await this.runOnce();
          if (pass.claimed === 0 || pass.failed > 0 || this.stopped) break;
        }
      } catch (error) {
        this.options.onError?.(error, '*');
      }
    };
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = tick().finally(() => {
        this.running = undefined;
      });
    }, interval);
    this.timer.unref();
  }

  /** Stops the background loop and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
