/**
 * The workflows that still have task updates in the spool, not yet committed by replay: a count per
 * tenant and workflow, per segment. A new update of such a workflow must be appended behind them
 * rather than written directly, or it could overtake an older update (SPEC P3); updates of every
 * other workflow may go straight to PostgreSQL while replay proceeds. Counts are kept per segment so
 * that removing a segment clears whatever it contributed, even when a count was overstated (an
 * append whose fsync failed may or may not have left its frame on disk; it is counted until its
 * segment goes). Overstating only sends an update to the spool; understating could reorder, so
 * every doubtful case counts.
 */
import type { IngestRecord } from './record-kinds.js';

/** Task updates are upserts keyed by workflow: that is the key their order is kept for. */
function workflowOf(record: IngestRecord): string {
  return `${record.tenantId}\n${String(record.row['workflow_id'])}`;
}

/** The task updates among `records` (none for insert-only kinds). */
export function taskUpdates(records: readonly IngestRecord[]): IngestRecord[] {
  return records.filter((r) => r.kind === 'task_execution');
}

function add(counts: Map<string, number>, records: readonly IngestRecord[], delta: number): void {
  for (const record of records) {
    const key = workflowOf(record);
    const n = (counts.get(key) ?? 0) + delta;
    if (n > 0) counts.set(key, n);
    else counts.delete(key);
  }
}

/** Counts the task updates of frames, by workflow (what the spool's index builds per segment). */
export function countTaskUpdates(frames: readonly (readonly IngestRecord[])[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const frame of frames) add(counts, taskUpdates(frame), 1);
  return counts;
}

export class SpooledTaskKeys {
  /** Appends accepted and not yet written to a segment. */
  private readonly pending = new Map<string, number>();
  private readonly bySegment = new Map<string, Map<string, number>>();

  /** True when the spool holds an update of this record's workflow that replay has not committed. */
  holds(record: IngestRecord): boolean {
    const key = workflowOf(record);
    if (this.pending.has(key)) return true;
    for (const counts of this.bySegment.values()) if (counts.has(key)) return true;
    return false;
  }

  /** Counts an append at once, before its write starts, so no later decision can miss it. */
  addPending(tasks: readonly IngestRecord[]): void {
    add(this.pending, tasks, 1);
  }

  /** Moves an append's counts to the segment its frame went to (or drops them: nothing was written). */
  settlePending(tasks: readonly IngestRecord[], segment: string | undefined): void {
    if (tasks.length === 0) return;
    add(this.pending, tasks, -1);
    if (segment === undefined) return;
    let counts = this.bySegment.get(segment);
    if (counts === undefined) {
      counts = new Map();
      this.bySegment.set(segment, counts);
    }
    add(counts, tasks, 1);
  }

  /** A frame of the segment is committed (and recorded as such): its updates no longer hold anyone back. */
  release(segment: string, tasks: readonly IngestRecord[]): void {
    const counts = this.bySegment.get(segment);
    if (counts !== undefined) add(counts, tasks, -1);
  }

  /** Forgets a removed segment. */
  dropSegment(segment: string): void {
    this.bySegment.delete(segment);
  }

  /** Replaces the per-segment counts with those of a fresh index; pending appends stay counted. */
  replaceSegments(bySegment: ReadonlyMap<string, Map<string, number>>): void {
    this.bySegment.clear();
    for (const [segment, counts] of bySegment) if (counts.size > 0) this.bySegment.set(segment, counts);
  }
}
