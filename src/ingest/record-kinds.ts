/**
 * The record kinds the write path accepts, one entry each in RECORD_KIND_SPECS: the table it is
 * written to (src/schema/tables/), the time column stamped at acceptance, the natural key the
 * idempotency key is derived from when the caller gives none, and its queue lane (priority, and
 * whether its batches must not overlap: per-key order of upserts, SPEC P3). A new kind is its
 * migration, its table definition and one entry here; validation, the insert statements, the
 * record type and the OpenAPI schema are derived from them.
 */
import { AGENT_EXECUTIONS } from '../schema/tables/agent-executions.js';
import { AUDIT_LOGS, AUTH_AUDIT_LOGS } from '../schema/tables/audit-logs.js';
import { EVENT_LOGS } from '../schema/tables/event-logs.js';
import { LEARNING_CASES } from '../schema/tables/learning-cases.js';
import { SESSION_ARCHIVES } from '../schema/tables/session-archives.js';
import type { Table } from '../schema/tables/table.js';
import {
  TASK_EXECUTIONS,
  TERMINAL_TASK_STATUSES as TERMINAL_STATUSES,
} from '../schema/tables/task-executions.js';
import { TOKEN_USAGE } from '../schema/tables/token-usage.js';
import { TOOL_EXECUTIONS } from '../schema/tables/tool-executions.js';

/** A kind's own queue lane (the terminal-task lane is added in LANES). */
export interface KindLane {
  /** Lower numbers are taken first. */
  readonly priority: number;
  /** Lanes sharing a group never have two batches in flight at once (upserts keep per-key order). */
  readonly serialGroup?: string;
}

/** What the write path knows about one record kind. */
export interface KindSpec {
  readonly table: Table;
  /** Time column stamped at acceptance when absent; kept unchanged through spool and replay. */
  readonly timeColumn: string;
  /**
   * Natural-key parts, or undefined when the record has no complete natural key (then the key is
   * derived from the whole content, so two different records never collapse into one). Absent:
   * always the content.
   */
  readonly naturalKey?: (row: Readonly<Record<string, unknown>>) => readonly unknown[] | undefined;
  readonly lane: KindLane;
}

/** Every record kind `ingest.write(kind, record)` accepts, in the order errors and docs list them. */
export const RECORD_KIND_SPECS = {
  task_execution: {
    table: TASK_EXECUTIONS,
    timeColumn: 'started_at',
    naturalKey: (row) => [row['workflow_id']],
    lane: { priority: 1, serialGroup: 'task_execution' },
  },
  agent_execution: { table: AGENT_EXECUTIONS, timeColumn: 'created_at', lane: { priority: 3 } },
  tool_execution: { table: TOOL_EXECUTIONS, timeColumn: 'created_at', lane: { priority: 3 } },
  token_usage: {
    table: TOKEN_USAGE,
    timeColumn: 'created_at',
    // One row per LLM call: (task, agent, call_sequence) once the caller numbers its calls.
    naturalKey: (row) =>
      row['task_id'] !== undefined && typeof row['call_sequence'] === 'number' && row['call_sequence'] > 0
        ? [row['task_id'], row['agent_id'] ?? null, row['call_sequence']]
        : undefined,
    lane: { priority: 2 },
  },
  event_log: {
    table: EVENT_LOGS,
    timeColumn: 'created_at',
    // W5: without a sequence the natural key is incomplete; the content decides instead.
    naturalKey: (row) =>
      typeof row['seq'] === 'number' ? [row['workflow_id'], row['type'], row['seq']] : undefined,
    lane: { priority: 4 },
  },
  audit_log: { table: AUDIT_LOGS, timeColumn: 'created_at', lane: { priority: 2 } },
  auth_audit_log: { table: AUTH_AUDIT_LOGS, timeColumn: 'created_at', lane: { priority: 2 } },
  session_archive: { table: SESSION_ARCHIVES, timeColumn: 'snapshot_taken_at', lane: { priority: 3 } },
  learning_case: {
    table: LEARNING_CASES,
    timeColumn: 'created_at',
    naturalKey: (row) => [row['input_hash']],
    lane: { priority: 3 },
  },
} as const satisfies Readonly<Record<string, KindSpec>>;

export type RecordKind = keyof typeof RECORD_KIND_SPECS;

/** Every record kind, in RECORD_KIND_SPECS order. */
export const RECORD_KINDS: readonly RecordKind[] = Object.freeze(
  Object.keys(RECORD_KIND_SPECS) as RecordKind[],
);

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

export interface LaneSpec extends KindLane {
  /**
   * A record goes to this lane instead while it still holds an earlier record with the same key:
   * jumping the queue must not put a key's later update before its earlier ones.
   */
  readonly behindEarlierIn?: LaneName;
}

export const LANES: Readonly<Record<LaneName, LaneSpec>> = {
  task_terminal: { priority: 0, serialGroup: 'task_execution', behindEarlierIn: 'task_execution' },
  ...(Object.fromEntries(RECORD_KINDS.map((kind) => [kind, RECORD_KIND_SPECS[kind].lane])) as Record<
    RecordKind,
    LaneSpec
  >),
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
