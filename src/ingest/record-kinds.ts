/**
 * The record kinds the write path accepts, with what the queue needs to know about each: its
 * lane priority (lower runs first) and whether records of the kind are upserts whose batches must
 * not overlap (per-key order, SPEC P3).
 */

import { TERMINAL_TASK_STATUSES as TERMINAL_STATUSES } from '../schema/tables/task-executions.js';

/** Every record kind `ingest.write(kind, record)` accepts. */
export const RECORD_KINDS = [
  'task_execution',
  'agent_execution',
  'tool_execution',
  'token_usage',
  'event_log',
  'audit_log',
  'auth_audit_log',
  'session_archive',
  'learning_case',
] as const;

export type RecordKind = (typeof RECORD_KINDS)[number];

/** A validated record in the shape the queue, the spool and the writers share (JSON-safe). */
export interface IngestRecord {
  readonly kind: RecordKind;
  readonly tenantId: string;
  /** Idempotency key: supplied by the caller or derived deterministically (see idempotency-key.ts). */
  readonly key: string;
  /** Column values by column name, already normalised (ISO timestamps, numbers, plain JSON). */
  readonly row: Readonly<Record<string, unknown>>;
}

/** Queue lanes: one per kind, plus a lane for terminal task updates so they never wait behind a flood. */
export type LaneName = RecordKind | 'task_terminal';

export interface LaneSpec {
  /** Lower numbers are taken first. */
  readonly priority: number;
  /** Lanes sharing a group never have two batches in flight at once (upserts keep per-key order). */
  readonly serialGroup?: string;
  /**
   * A record goes to this lane instead while it still holds an earlier record with the same key:
   * jumping the queue must not put a key's later update before its earlier ones.
   */
  readonly behindEarlierIn?: LaneName;
}

export const LANES: Readonly<Record<LaneName, LaneSpec>> = {
  task_terminal: { priority: 0, serialGroup: 'task_execution', behindEarlierIn: 'task_execution' },
  task_execution: { priority: 1, serialGroup: 'task_execution' },
  audit_log: { priority: 2 },
  auth_audit_log: { priority: 2 },
  token_usage: { priority: 2 },
  agent_execution: { priority: 3 },
  tool_execution: { priority: 3 },
  session_archive: { priority: 3 },
  learning_case: { priority: 3 },
  event_log: { priority: 4 },
};

/** Task statuses after which a task never changes status again. */
export const TERMINAL_TASK_STATUSES: ReadonlySet<string> = new Set(TERMINAL_STATUSES);

/** True when the value names a record kind. */
export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === 'string' && (RECORD_KINDS as readonly string[]).includes(value);
}

/** The lane a record goes to. */
export function laneOf(record: IngestRecord): LaneName {
  if (record.kind === 'task_execution' && TERMINAL_TASK_STATUSES.has(String(record.row['status']))) {
    return 'task_terminal';
  }
  return record.kind;
}
