/**
 * Coalescing of several writes to one key inside one batch, in arrival order. Insert-only kinds keep
 * the first record (later ones are duplicates the unique key would absorb anyway). Task upserts are
 * merged with the same rules the upsert SQL applies, so the batch writes what sequential upserts
 * would have produced; in particular a terminal status is never replaced (SPEC P3).
 */
import { type IngestRecord, TERMINAL_TASK_STATUSES } from './record-kinds.js';

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

/** Task counters only grow while a task runs; the larger value wins. */
const TASK_COUNTERS = new Set([
  'total_tokens',
  'prompt_tokens',
  'completion_tokens',
  'total_cost_usd',
  'agents_used',
  'tools_invoked',
  'cache_hits',
  'cache_read_tokens',
  'cache_creation_tokens',
  'cache_aware_total_tokens',
]);
const TASK_JSON = new Set(['metadata', 'response']);
/** Fixed at the first write of a workflow. */
const TASK_IMMUTABLE = new Set(['workflow_id', 'query', 'started_at', 'trigger_type']);

/** Merges a later task upsert into an earlier one, mirroring the upsert's ON CONFLICT rules. */
export function mergeTaskUpdate(
  earlier: Readonly<Record<string, unknown>>,
  later: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const frozen = TERMINAL_TASK_STATUSES.has(String(earlier['status']));
  const merged: Record<string, unknown> = { ...earlier };
  for (const [column, value] of Object.entries(later)) {
    const current = merged[column];
    if (current === undefined) merged[column] = value;
    else if (TASK_IMMUTABLE.has(column)) continue;
    else if (TASK_COUNTERS.has(column)) merged[column] = Math.max(Number(current), Number(value));
    else if (TASK_JSON.has(column))
      merged[column] = frozen
        ? { ...(value as object), ...(current as object) }
        : { ...(current as object), ...(value as object) };
    else if (!frozen) merged[column] = value;
  }
  return merged;
}

/**
 * Collapses items with the same tenant and key, keeping first-arrival order of keys. Two tenants
 * may use the same idempotency key: their records are never merged. Items are passed through as
 * they are; only the surviving item of a repeated key is copied (this runs for every record).
 */
export function coalesceBatch(items: readonly BatchItem[]): BatchItem[] {
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
    const merged = { ...earlier, waiters: [...earlier.waiters, ...item.waiters] };
    if (item.record.kind === 'task_execution') {
      merged.record = { ...earlier.record, row: mergeTaskUpdate(earlier.record.row, item.record.row) };
    }
    out[at] = merged;
  }
  return out;
}
