/**
 * What the write path knows about each record kind: its table (src/schema/tables/), which column is
 * stamped at acceptance, and the natural key the idempotency key is derived from when the caller
 * gives none. The columns a record may carry, their parsers and whether they are required come from
 * the table definition; so does `RecordOf<K>`, the TypeScript type of a record of kind K.
 */
import { AGENT_EXECUTIONS } from '../schema/tables/agent-executions.js';
import { AUDIT_LOGS, AUTH_AUDIT_LOGS } from '../schema/tables/audit-logs.js';
import type { ColumnFacts } from '../schema/tables/columns.js';
import { EVENT_LOGS } from '../schema/tables/event-logs.js';
import { LEARNING_CASES } from '../schema/tables/learning-cases.js';
import { SESSION_ARCHIVES } from '../schema/tables/session-archives.js';
import { type RecordInput, recordColumns, type Table } from '../schema/tables/table.js';
import { TASK_EXECUTIONS } from '../schema/tables/task-executions.js';
import { TOKEN_USAGE } from '../schema/tables/token-usage.js';
import { TOOL_EXECUTIONS } from '../schema/tables/tool-executions.js';
import type { RecordKind } from './record-kinds.js';

/** The table each record kind is written to. */
export const RECORD_TABLES = {
  task_execution: TASK_EXECUTIONS,
  agent_execution: AGENT_EXECUTIONS,
  tool_execution: TOOL_EXECUTIONS,
  token_usage: TOKEN_USAGE,
  event_log: EVENT_LOGS,
  audit_log: AUDIT_LOGS,
  auth_audit_log: AUTH_AUDIT_LOGS,
  session_archive: SESSION_ARCHIVES,
  learning_case: LEARNING_CASES,
} as const satisfies Readonly<Record<RecordKind, Table>>;

/** The fields of a record besides its columns: the tenant (required) and an optional idempotency key. */
export type RecordEnvelope = ({ tenant_id: string } | { tenantId: string }) & {
  idempotency_key?: string;
  idempotencyKey?: string;
};

/** The columns a record of kind K may set: RecordOf<K> without its tenant and idempotency key. */
export type RecordColumnsOf<K extends RecordKind> = RecordInput<(typeof RECORD_TABLES)[K]['columns']>;

/** A record of kind K as `ingest.write(kind, record)` accepts it. */
export type RecordOf<K extends RecordKind> = K extends RecordKind
  ? RecordColumnsOf<K> & RecordEnvelope
  : never;

export interface RecordSchema {
  readonly table: Table;
  /** The columns a record may set, in the order of the write path's statement parameters. */
  readonly columns: ReadonlyMap<string, ColumnFacts>;
  /** The required columns, in definition order (the first one missing is the one reported). */
  readonly required: readonly string[];
  /** Time column stamped at acceptance when absent; kept unchanged through spool and replay. */
  readonly timeColumn: string;
  /**
   * Natural-key parts, or undefined when the record has no complete natural key (then the key is
   * derived from the whole content, so two different records never collapse into one).
   */
  readonly naturalKey: (row: Readonly<Record<string, unknown>>) => readonly unknown[] | undefined;
}

function schema(
  table: Table,
  timeColumn: string,
  naturalKey: RecordSchema['naturalKey'] = () => undefined,
): RecordSchema {
  const columns = new Map(recordColumns(table));
  const required = [...columns].filter(([, c]) => c.access === 'required').map(([name]) => name);
  return { table, columns, required, timeColumn, naturalKey };
}

export const RECORD_SCHEMAS: Readonly<Record<RecordKind, RecordSchema>> = {
  task_execution: schema(TASK_EXECUTIONS, 'started_at', (row) => [row['workflow_id']]),
  agent_execution: schema(AGENT_EXECUTIONS, 'created_at'),
  tool_execution: schema(TOOL_EXECUTIONS, 'created_at'),
  // One row per LLM call: (task, agent, call_sequence) once the caller numbers its calls.
  token_usage: schema(TOKEN_USAGE, 'created_at', (row) =>
    row['task_id'] !== undefined && typeof row['call_sequence'] === 'number' && row['call_sequence'] > 0
      ? [row['task_id'], row['agent_id'] ?? null, row['call_sequence']]
      : undefined,
  ),
  // W5: without a sequence the natural key is incomplete; the content decides instead.
  event_log: schema(EVENT_LOGS, 'created_at', (row) =>
    typeof row['seq'] === 'number' ? [row['workflow_id'], row['type'], row['seq']] : undefined,
  ),
  audit_log: schema(AUDIT_LOGS, 'created_at'),
  auth_audit_log: schema(AUTH_AUDIT_LOGS, 'created_at'),
  session_archive: schema(SESSION_ARCHIVES, 'snapshot_taken_at'),
  learning_case: schema(LEARNING_CASES, 'created_at', (row) => [row['input_hash']]),
};
