/**
 * The times stamped on records that arrived without their time column, remembered by tenant, kind
 * and idempotency key, so a retry of such a record gets the same time. On a partitioned table the
 * time column is part of the unique key: a retry stamped afresh would be a second row, not a
 * duplicate absorbed — for example when a client resends a whole batch after one record of it
 * failed, or resends a request it gave up on while the first attempt was still being written.
 *
 * Bounded by entries (the oldest stamp is forgotten first), in memory: it covers retries that reach
 * the same process. A retry reaching another process, or this one after a restart, is stamped
 * afresh; clients that may retry that way send the time column themselves (docs/write-path.md).
 */

export const DEFAULT_STAMP_MEMORY_RECORDS = 100_000;

export class StampMemory {
  private readonly stamps = new Map<string, string>();

  constructor(readonly maxRecords = DEFAULT_STAMP_MEMORY_RECORDS) {}

  /** The time first stamped for this record, or `fresh` (then remembered). */
  stamp(kind: string, tenantId: string, key: string, fresh: string): string {
    const id = `${kind}\n${tenantId}\n${key}`;
    const known = this.stamps.get(id);
    if (known !== undefined) return known;
    this.stamps.set(id, fresh);
    if (this.stamps.size > this.maxRecords) {
      // Maps iterate in insertion order: the first key is the oldest stamp.
      const oldest = this.stamps.keys().next();
      if (oldest.done !== true) this.stamps.delete(oldest.value);
    }
    return fresh;
  }

  get size(): number {
    return this.stamps.size;
  }
}
