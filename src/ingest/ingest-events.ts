/**
 * What the write path reports while it works. Each component is handed the events it emits when it
 * is built and calls them the moment something happens; what to do with them (today: Prometheus,
 * ingest-metrics.ts) is the subscriber's business, so the components hold no metrics code. A plain
 * object of methods rather than an emitter: one call per batch, no event object allocated and no
 * name looked up on the hot path.
 */
import type { SqlStateClass } from '../postgres/sqlstate.js';
import type { RecordKind } from './record-kinds.js';

/** Where part of a batch ended: committed, fsynced to the spool, or failed (its callers got the error). */
export type FlushOutcome = 'committed' | 'spooled' | 'failed';

/** Why a spool append was refused: the spool is full (BackpressureError), or its write or fsync failed. */
export type SpoolRefusal = 'full' | 'failed';

/** Why a batch went by upsert after its COPY failed (record-writer.ts). */
export type CopyFallbackReason = 'stored_key' | 'rejected' | 'not_permitted';

export interface IngestEvents {
  /** A batch was taken from the queue to be flushed; `records` after coalescing (batch-flusher.ts). */
  batchFlushing(kind: RecordKind, records: number): void;
  /** A direct write committed `records` of a batch (0 when the database failed before any commit). */
  recordsCommitted(kind: RecordKind, records: number): void;
  /** PostgreSQL refused one record for its own content; its caller got the error. */
  recordRejected(kind: RecordKind): void;
  /** A direct write failed for the database's reasons; the records it did not write go to the spool. */
  directWriteFailed(kind: RecordKind, failure: SqlStateClass): void;
  /** `records` were fsynced to the spool and acknowledged as spooled. */
  recordsSpooled(kind: RecordKind, records: number): void;
  /** A spool append was refused; its callers got the error. */
  spoolRefused(kind: RecordKind, reason: SpoolRefusal): void;
  /** The records of a batch handled together are settled, `durationMs` after its flush began. */
  flushSettled(kind: RecordKind, outcome: FlushOutcome, durationMs: number): void;
  /** A caller had to wait for room in the write queue (write-queue.ts). */
  queueWaited(): void;
  /** A caller was refused with BackpressureError after the queue's bounded wait. */
  queueRefused(): void;
  /** The spool sealed a segment after a failed write or fsync (spool.ts). */
  spoolSealed(segment: string, error: unknown): void;
  /** The replayer committed `records` spooled records (replayer.ts). */
  replayCommitted(records: number): void;
  /** A replayed frame met a database failure; the pass stops and a later one resumes there. */
  replayInterrupted(): void;
  /** `records` spooled records were rejected by PostgreSQL on replay and kept in spool/rejected/. */
  deadLettered(records: number): void;
  /** A batch was written by upsert after its COPY failed (record-writer.ts). */
  copyFallback(kind: RecordKind, reason: CopyFallbackReason): void;
}

const ignore = (): void => undefined;

/** Events nobody listens to (no metrics given, and in tests). */
export const NO_INGEST_EVENTS: IngestEvents = Object.freeze({
  batchFlushing: ignore,
  recordsCommitted: ignore,
  recordRejected: ignore,
  directWriteFailed: ignore,
  recordsSpooled: ignore,
  spoolRefused: ignore,
  flushSettled: ignore,
  queueWaited: ignore,
  queueRefused: ignore,
  spoolSealed: ignore,
  replayCommitted: ignore,
  replayInterrupted: ignore,
  deadLettered: ignore,
  copyFallback: ignore,
});
