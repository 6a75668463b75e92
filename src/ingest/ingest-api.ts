/**
 * The write path's public face (`dataLayer.ingest`), apart from its implementation (ingest.ts), so
 * that the HTTP routes and other callers depend on this contract only.
 */
import type { ShannonError } from '../errors/errors.js';
import type { WriteOutcome } from './coalesce.js';
import type { RecordKind } from './record-kinds.js';
import type { RecordOf } from './record-schemas.js';
import type { SpoolStats } from './spool.js';
import type { WriteQueueStats } from './write-queue.js';

/** How one record of a batch call ended. */
export interface RecordResult {
  key: string;
  outcome: WriteOutcome | 'rejected';
  error?: ShannonError;
}

/** What `Ingest.stats()` reports (the admin route shows it as it is). */
export interface IngestStats {
  queue: WriteQueueStats;
  spool: SpoolStats;
  /** Batches being written right now. */
  activeFlushes: number;
  /** `closing` from close() or abort() until they are done. */
  state: 'open' | 'closing' | 'closed';
}

/**
 * The durable write path. A record is acknowledged only once it is committed to PostgreSQL or
 * fsynced to the local spool; a failure always reaches its caller.
 */
export interface Ingest {
  /**
   * Accepts one record; resolves once it is committed or fsynced to the spool. The record's type,
   * `RecordOf<K>`, is derived from the kind's table definition; it is validated at run time all the
   * same (callers in JavaScript, or with data from an untrusted edge cast to it, get ValidationError).
   * @throws ValidationError for invalid input; BackpressureError when the queue or spool is full;
   * ShannonError SHUTTING_DOWN after close(); DatabaseError when PostgreSQL rejects the record itself.
   */
  write<K extends RecordKind>(kind: K, record: RecordOf<K>): Promise<{ key: string; outcome: WriteOutcome }>;
  /**
   * Accepts several records of one kind (all validated first: one invalid record rejects the call);
   * resolves with one result per record, in order, once each is durable or rejected.
   * @throws ValidationError, BackpressureError or SHUTTING_DOWN for the whole call, as write().
   */
  writeBatch<K extends RecordKind>(kind: K, records: readonly RecordOf<K>[]): Promise<RecordResult[]>;
  /** Flushes everything queued now; resolves once all of it is settled. */
  flush(): Promise<void>;
  /** Runs one replay pass of the spool now (it also runs on its own timer). */
  replay(): Promise<void>;
  /** Queue, spool and flush counts of this moment. */
  stats(): IngestStats;
  /**
   * Stops accepting, flushes within the deadline (default `closeTimeoutMs`, 10 s), spools the rest,
   * fsyncs, then resolves. A second call while closing returns at once.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Stops at once, as a crash would: queued records are refused (their callers get SHUTTING_DOWN
   * and were never acknowledged); batches already in flight finish; nothing else is flushed.
   * For tests and emergencies; the spool keeps what was acknowledged from it.
   */
  abort(): Promise<void>;
}
