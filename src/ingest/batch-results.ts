/**
 * How the write path settles its callers: a waiter per accepted record (coalesce.ts `Waiter`),
 * resolved with where the record went or rejected with the error its caller sees.
 */
import { toShannonError } from '../errors/errors.js';
import type { BatchItem, Waiter, WriteOutcome } from './coalesce.js';
import type { RecordResult } from './ingest-api.js';

/** A promise for one record and the waiter that settles it (write()). */
export function deferred(): { promise: Promise<WriteOutcome>; waiter: Waiter } {
  let waiter!: Waiter;
  const promise = new Promise<WriteOutcome>((resolve, reject) => {
    waiter = { resolve, reject };
  });
  return { promise, waiter };
}

/** Acknowledges every caller of `items`. */
export function resolveAll(items: readonly BatchItem[], outcome: WriteOutcome): void {
  for (const item of items) for (const w of item.waiters) w.resolve(outcome);
}

/** Fails every caller of `items` with `error`. */
export function rejectAll(items: readonly BatchItem[], error: unknown): void {
  for (const item of items) for (const w of item.waiters) w.reject(error);
}

/**
 * The results of one writeBatch call: one cheap waiter per record (no promise each) and one
 * promise that resolves once every record is settled.
 */
export class BatchResults {
  readonly settled: Promise<RecordResult[]>;
  private readonly results: RecordResult[];
  private pending: number;
  private done!: (results: RecordResult[]) => void;

  constructor(keys: readonly string[]) {
    this.results = keys.map((key) => ({ key, outcome: 'rejected' as const }));
    this.pending = keys.length;
    this.settled = new Promise((resolve) => {
      this.done = resolve;
    });
    if (this.pending === 0) this.done(this.results);
  }

  waiter(index: number): Waiter {
    return new RecordWaiter(this, index);
  }

  settle(index: number, result: Omit<RecordResult, 'key'>): void {
    const entry = this.results[index]!;
    entry.outcome = result.outcome;
    if (result.error !== undefined) entry.error = result.error;
    this.pending -= 1;
    if (this.pending === 0) this.done(this.results);
  }
}

/** Settles one record of a BatchResults; like a promise, only the first settlement counts. */
class RecordWaiter implements Waiter {
  private settled = false;
  constructor(
    private readonly batch: BatchResults,
    private readonly index: number,
  ) {}
  resolve(outcome: WriteOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.batch.settle(this.index, { outcome });
  }
  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.batch.settle(this.index, { outcome: 'rejected', error: toShannonError(error) });
  }
}
