/**
 * What happens to a batch taken from the write queue, in one place: it is committed to PostgreSQL,
 * spooled (fsynced to the local spool, replayed later), or refused (its callers get the error).
 * `routeBatch` decides where a batch goes; `BatchFlusher` carries the decision out and settles
 * every caller. A record is never acknowledged before its COMMIT or its spool fsync, and a failure
 * always reaches its caller.
 */
import { toShannonError } from '../errors/errors.js';
import { rejectAll, resolveAll } from './batch-results.js';
import type { BatchItem } from './coalesce.js';
import type { DatabaseReachability, Reachability } from './database-reachability.js';
import type { IngestEvents } from './ingest-events.js';
import type { IngestLifecycle } from './ingest-lifecycle.js';
import { failureClass, type IsolatedResult, writeIsolatingFailures } from './isolate-failures.js';
import type { RecordKind } from './record-kinds.js';
import type { RecordWriter } from './record-writer.js';
import type { Spool } from './spool.js';
import { unreachable } from './unreachable.js';
import type { Batch } from './write-queue.js';
import type { WriteSlots } from './write-slots.js';

/** Where a batch goes. */
export type BatchRoute =
  /** All of it to the spool: the database is failing, or close() is past its deadline. */
  | { readonly to: 'spool' }
  /** All of it to PostgreSQL. */
  | { readonly to: 'database' }
  /** Task updates: those of a workflow with updates in the spool go behind them, the rest to PostgreSQL. */
  | { readonly to: 'spool-and-database'; readonly behind: BatchItem[]; readonly direct: BatchItem[] };

const TO_SPOOL: BatchRoute = { to: 'spool' };
const TO_DATABASE: BatchRoute = { to: 'database' };

/**
 * Decides where a batch of `kind` goes. Insert-only records go direct even while the spool holds
 * records: each has its own idempotency key and ON CONFLICT absorbs a repeat, so which of two
 * copies lands first does not matter. A task update goes behind the spooled updates of its
 * workflow when there are any (Spool.holdsTaskUpdate), else direct.
 *
 * Why no update can overtake an older one of its workflow: task batches are one at a time (their
 * lanes share a serial group), and only a task batch appends task updates to the spool while the
 * write path is open. So between this batch's decision and the end of its flush nothing else can
 * spool an update of a workflow it decided to write directly; if its own direct write fails, its
 * updates are spooled before the next task batch is taken, and that one then finds them counted
 * (an append is counted when called, before its write). Replay releases a workflow only after the
 * frame's commit is recorded durably, so a restart never replays an update older than one written
 * directly. close() past its deadline spools what is queued only after the batches in flight
 * finished, so they cannot fail into the spool behind it.
 */
export function routeBatch(
  kind: RecordKind,
  items: readonly BatchItem[],
  lifecycle: IngestLifecycle,
  database: Reachability,
  spool: Pick<Spool, 'holdsTaskUpdate'>,
): BatchRoute {
  switch (lifecycle.state) {
    case 'spooling':
      return TO_SPOOL;
    case 'open':
    case 'draining':
    case 'aborting':
    case 'closed':
      break;
    default:
      return unreachable(lifecycle, 'write path state');
  }
  if (database === 'failing') return TO_SPOOL;
  if (kind !== 'task_execution') return TO_DATABASE;
  const behind: BatchItem[] = [];
  const direct: BatchItem[] = [];
  for (const item of items) (spool.holdsTaskUpdate(item.record) ? behind : direct).push(item);
  return { to: 'spool-and-database', behind, direct };
}

export interface BatchFlusherOptions {
  writer: RecordWriter;
  spool: Spool;
  /** Database slots shared with the replayer (write-slots.ts). */
  slots: WriteSlots;
  /** Updated after every direct write; read by routeBatch (shared with the replayer). */
  database: DatabaseReachability;
  /** Kicked after each spool append, so replay starts without waiting for its timer. */
  replayer: { kick(): void };
  /** The write path's current state (ingest.ts). */
  lifecycle: () => IngestLifecycle;
  events: IngestEvents;
}

export class BatchFlusher {
  constructor(private readonly options: BatchFlusherOptions) {}

  /** Makes a batch durable or fails its callers; never rejects (the batcher's flush function). */
  async flush(batch: Batch): Promise<void> {
    const { items } = batch;
    const kind = items[0]!.record.kind;
    const startedAt = Date.now();
    this.options.events.batchFlushing(kind, items.length);
    try {
      const { lifecycle, database, spool } = this.options;
      const route = routeBatch(kind, items, lifecycle(), database.state, spool);
      switch (route.to) {
        case 'spool':
          return await this.spool(kind, items, startedAt);
        case 'database':
          return await this.writeDirect(kind, items, startedAt);
        case 'spool-and-database': {
          // spool() appends (and counts) synchronously, before the direct write starts.
          const spooling = this.spool(kind, route.behind, startedAt);
          await this.writeDirect(kind, route.direct, startedAt);
          return await spooling;
        }
        default:
          return unreachable(route, 'batch route');
      }
    } catch (error) {
      // Only a bug gets here; the callers still hear about it.
      rejectAll(items, toShannonError(error));
    }
  }

  /** Spools a whole batch without a write attempt (close() past its deadline). Never rejects. */
  spoolBatch(batch: Batch, startedAt: number): Promise<void> {
    return this.spool(batch.items[0]!.record.kind, batch.items, startedAt);
  }

  /** Fails every caller of a batch that will not be written (abort()). */
  refuse(batch: Batch, error: unknown): void {
    rejectAll(batch.items, error);
  }

  /** Writes items to PostgreSQL in one of the shared slots; what the database failed goes to the spool. */
  private async writeDirect(kind: RecordKind, items: readonly BatchItem[], startedAt: number): Promise<void> {
    if (items.length === 0) return;
    const { writer, slots, database, events } = this.options;
    const release = await slots.acquire('direct');
    let result: IsolatedResult;
    try {
      result = await writeIsolatingFailures(writer, kind, items);
    } finally {
      release();
    }
    database.report(result.unwritten.length === 0);
    resolveAll(result.committed, 'committed');
    events.recordsCommitted(kind, result.committed.length);
    for (const { item, error } of result.rejected) {
      events.recordRejected(kind);
      rejectAll([item], toShannonError(error));
    }
    if (result.unwritten.length > 0) {
      events.directWriteFailed(kind, failureClass(result.error));
      return await this.spool(kind, result.unwritten, startedAt);
    }
    events.flushSettled(kind, 'committed', Date.now() - startedAt);
  }

  /** Appends items to the spool and acknowledges them once fsynced, or fails them (spool full or broken). */
  private async spool(kind: RecordKind, items: readonly BatchItem[], startedAt: number): Promise<void> {
    if (items.length === 0) return;
    const { spool, replayer, events } = this.options;
    try {
      await spool.append(items.map((i) => i.record));
      resolveAll(items, 'spooled');
      events.recordsSpooled(kind, items.length);
      events.flushSettled(kind, 'spooled', Date.now() - startedAt);
      replayer.kick();
    } catch (error) {
      const shaped = toShannonError(error);
      events.spoolRefused(kind, shaped.code === 'BACKPRESSURE' ? 'full' : 'failed');
      events.flushSettled(kind, 'failed', Date.now() - startedAt);
      rejectAll(items, shaped);
    }
  }
}
