/**
 * Coalescing of several writes to one key inside one batch, in arrival order. Insert-only kinds keep
 * the first record with every caller's waiter (later ones are duplicates the unique key would absorb
 * anyway). Task updates are not merged here: what an update does depends on the stored row (a
 * finished task only has its empty fields filled), which Node does not see, so the writer applies a
 * key's updates one after another, in arrival order, inside the batch's transaction
 * (record-writer.ts).
 */
import type { IngestRecord } from './record-kinds.js';

/** Settles the caller's promise for one accepted record. */
export interface Waiter {
  resolve(outcome: WriteOutcome): void;
  reject(error: unknown): void;
}

/** How a record became durable. */
export type WriteOutcome = 'committed' | 'spooled';

/** One record with every caller waiting on it. */
export interface BatchItem {
  record: IngestRecord;
  bytes: number;
  waiters: Waiter[];
}

/**
 * Collapses insert-only items with the same tenant and key, keeping first-arrival order of keys;
 * task updates all stay, in order. Two tenants may use the same idempotency key: their records are
 * never merged. Items are passed through as they are; only the surviving item of a repeated key is
 * copied (this runs for every record).
 */
export function coalesceBatch(items: readonly BatchItem[]): BatchItem[] {
  if (items[0]?.record.kind === 'task_execution') return items.slice();
  const positions = new Map<string, Map<string, number>>();
  const out: BatchItem[] = [];
  for (const item of items) {
    const { key, tenantId } = item.record;
    let ofTenant = positions.get(tenantId);
    if (ofTenant === undefined) {
      ofTenant = new Map();
      positions.set(tenantId, ofTenant);
    }
    const at = ofTenant.get(key);
    if (at === undefined) {
      ofTenant.set(key, out.length);
      out.push(item);
      continue;
    }
    const earlier = out[at]!;
    out[at] = { ...earlier, waiters: [...earlier.waiters, ...item.waiters] };
  }
  return out;
}
