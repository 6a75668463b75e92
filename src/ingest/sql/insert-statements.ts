/**
 * Bulk inserts of the insert-only kinds, declared once per table as its columns and generated in
 * the two shapes the writer uses (src/ingest/record-writer.ts):
 * - `copyText`: `COPY … FROM STDIN` in text format, the fast path (raw COPY against the upsert on
 *   the same table: docs/benchmarks.md "Write path"). COPY has no ON CONFLICT:
 *   one record whose idempotency key is already stored fails the whole statement, and the batch is
 *   then written with…
 * - `upsertText`: `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`, one array per column,
 *   which absorbs a record already stored (a retry or a replay). Its text never grows with the batch.
 * A value a record leaves out is filled in here (`absent`), not by the statement, so both shapes
 * store the same row. Parameter and column order: tenant_id, idempotency_key, then `columns`.
 */
import type { IngestRecord } from '../record-kinds.js';
import { copyField } from './copy-text.js';

/** The value stored when a record leaves a column out: a constant, or derived from the record's row. */
type Absent = unknown | ((row: Readonly<Record<string, unknown>>) => unknown);

/** `[column, element type of its unnest array, value when absent]`; no third entry means NULL. */
type ColumnSpec = readonly [name: string, type: string, absent?: Absent];

export interface InsertStatement {
  readonly table: string;
  /** Record columns after tenant_id and idempotency_key, in parameter order. */
  readonly columns: readonly string[];
  /** Array element type of each column's parameter, same order as `columns`. */
  readonly types: readonly string[];
  readonly upsertText: string;
  readonly copyText: string;
  /** `upsertText`'s parameters: tenant ids, keys, then one array per column (absent values filled in). */
  upsertParams(records: readonly IngestRecord[]): unknown[][];
  /** The record as one line of `copyText`'s input (tenant_id, idempotency_key, then `columns`). */
  copyLine(record: IngestRecord): string;
}

const quote = (name: string) =>
  /^[a-z_][a-z0-9_]*$/.test(name) && name !== 'timestamp' ? name : `"${name}"`;

function insertStatement(table: string, specs: readonly ColumnSpec[]): InsertStatement {
  const columns = specs.map(([name]) => name);
  const types = specs.map(([, type]) => type);
  const targets = ['tenant_id', 'idempotency_key', ...columns].map(quote).join(', ');
  const arrays = ['uuid', 'text', ...types].map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  const fillers = specs.map(([, type, absent]) => {
    const json = type === 'jsonb';
    const fill =
      absent === undefined
        ? () => null
        : typeof absent === 'function'
          ? (absent as (row: Readonly<Record<string, unknown>>) => unknown)
          : () => absent;
    return { json, fill };
  });
  const columnValue = (row: Readonly<Record<string, unknown>>, i: number): unknown => {
    const { json, fill } = fillers[i]!;
    let value = row[columns[i]!];
    if (value === undefined || value === null) value = fill(row);
    if (value === undefined || value === null) return null;
    return json ? JSON.stringify(value) : value;
  };
  return {
    table,
    columns,
    types,
    upsertText: `INSERT INTO ${table} (${targets})\nSELECT * FROM unnest(${arrays})\nON CONFLICT DO NOTHING`,
    copyText: `COPY ${table} (${targets}) FROM STDIN`,
    upsertParams(records) {
      return [
        records.map((r) => r.tenantId),
        records.map((r) => r.key),
        ...columns.map((_, i) => records.map((r) => columnValue(r.row, i))),
      ];
    },
    copyLine(record) {
      let line = `${record.tenantId}\t${copyField(record.key)}`;
      for (let i = 0; i < columns.length; i += 1) line += `\t${copyField(columnValue(record.row, i))}`;
      return `${line}\n`;
    },
  };
}

export const INSERT_AGENT_EXECUTIONS = insertStatement('public.agent_executions', [
  ['agent_id', 'text'],
  ['input', 'text'],
  ['output', 'text'],
  ['state', 'text'],
  ['tokens_used', 'int4', 0],
  ['model_used', 'text'],
  ['duration_ms', 'int8'],
  ['created_at', 'timestamptz'],
  ['workflow_id', 'text'],
  ['task_id', 'uuid'],
  ['error_message', 'text'],
  ['metadata', 'jsonb', {}],
  ['strategy', 'text'],
]);

export const INSERT_TOOL_EXECUTIONS = insertStatement('public.tool_executions', [
  ['tool_name', 'text'],
  ['agent_execution_id', 'uuid'],
  ['input_params', 'jsonb', {}],
  ['output', 'text'],
  ['success', 'bool', true],
  ['error', 'text'],
  ['duration_ms', 'int8'],
  ['tokens_consumed', 'int4', 0],
  ['workflow_id', 'text'],
  ['agent_id', 'text'],
  ['metadata', 'jsonb', {}],
  ['created_at', 'timestamptz'],
]);

export const INSERT_TOKEN_USAGE = insertStatement('public.token_usage', [
  ['provider', 'text'],
  ['model', 'text'],
  ['prompt_tokens', 'int4'],
  ['completion_tokens', 'int4'],
  ['total_tokens', 'int4'],
  ['cost_usd', 'numeric'],
  ['user_id', 'uuid'],
  ['created_at', 'timestamptz'],
  ['task_id', 'uuid'],
  ['agent_id', 'text'],
  ['cache_read_tokens', 'int4', 0],
  ['cache_creation_tokens', 'int4', 0],
  ['call_sequence', 'int4', 0],
  ['cache_aware_total_tokens', 'int4', 0],
]);

export const INSERT_EVENT_LOGS = insertStatement('public.event_logs', [
  ['workflow_id', 'text'],
  ['type', 'text'],
  ['task_id', 'uuid'],
  ['agent_id', 'text'],
  ['message', 'text'],
  ['payload', 'jsonb', {}],
  ['timestamp', 'timestamptz', (row: Readonly<Record<string, unknown>>) => row['created_at']],
  ['seq', 'int8'],
  ['stream_id', 'text'],
  ['created_at', 'timestamptz'],
]);

export const INSERT_AUDIT_LOGS = insertStatement('public.audit_logs', [
  ['action', 'text'],
  ['user_id', 'uuid'],
  ['entity_type', 'text'],
  ['entity_id', 'text'],
  ['ip_address', 'inet'],
  ['user_agent', 'text'],
  ['request_id', 'text'],
  ['old_value', 'jsonb'],
  ['new_value', 'jsonb'],
  ['created_at', 'timestamptz'],
]);

export const INSERT_AUTH_AUDIT_LOGS = insertStatement('auth.audit_logs', [
  ['event_type', 'text'],
  ['user_id', 'uuid'],
  ['ip_address', 'inet'],
  ['user_agent', 'text'],
  ['details', 'jsonb', {}],
  ['created_at', 'timestamptz'],
]);

export const INSERT_SESSION_ARCHIVES = insertStatement('public.session_archives', [
  ['session_id', 'text'],
  ['user_id', 'uuid'],
  ['snapshot_data', 'jsonb', {}],
  ['message_count', 'int4', 0],
  ['total_tokens', 'int4', 0],
  ['total_cost_usd', 'numeric', 0],
  ['session_started_at', 'timestamptz'],
  ['snapshot_taken_at', 'timestamptz'],
  ['ttl_expires_at', 'timestamptz'],
]);

export const INSERT_LEARNING_CASES = insertStatement('public.learning_cases', [
  ['input_hash', 'text'],
  ['action_taken', 'jsonb'],
  ['outcome', 'jsonb'],
  ['user_id', 'uuid'],
  ['input_summary', 'text'],
  ['reward', 'float8'],
  ['metadata', 'jsonb', {}],
  ['created_at', 'timestamptz'],
  ['task_id', 'uuid'],
]);
