/**
 * The columns each record kind may carry, taken from the migrations (0005–0009, 0002 for
 * auth.audit_logs): parser, whether the caller must supply it, which column is stamped at
 * acceptance, and the natural key the idempotency key is derived from when the caller gives none.
 */
import {
  boolean,
  type FieldParser,
  float,
  inet,
  integer,
  jsonObject,
  jsonValue,
  numeric,
  oneOf,
  string,
  timestamp,
  uuid,
} from '../validation/field-parsers.js';
import type { RecordKind } from './record-kinds.js';

export interface ColumnSpec {
  readonly parser: FieldParser;
  readonly required?: boolean;
}

export interface RecordSchema {
  readonly columns: Readonly<Record<string, ColumnSpec>>;
  /** Time column stamped at acceptance when absent; kept unchanged through spool and replay. */
  readonly timeColumn: string;
  /**
   * Natural-key parts, or undefined when the record has no complete natural key (then the key is
   * derived from the whole content, so two different records never collapse into one).
   */
  readonly naturalKey: (row: Readonly<Record<string, unknown>>) => readonly unknown[] | undefined;
}

const TEXT_MAX = 1_000_000;
const TASK_STATUSES = ['PENDING', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'];
const AGENT_STATES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'];
const req = (parser: FieldParser): ColumnSpec => ({ parser, required: true });
const opt = (parser: FieldParser): ColumnSpec => ({ parser });
const nonNegative = () => integer(0);

export const RECORD_SCHEMAS: Readonly<Record<RecordKind, RecordSchema>> = {
  task_execution: {
    timeColumn: 'started_at',
    naturalKey: (row) => [row['workflow_id']],
    columns: {
      workflow_id: req(string(255)),
      query: req(string(TEXT_MAX)),
      status: req(oneOf(TASK_STATUSES)),
      user_id: opt(uuid()),
      session_id: opt(string(255)),
      mode: opt(string(50)),
      started_at: opt(timestamp()),
      completed_at: opt(timestamp()),
      result: opt(string(TEXT_MAX)),
      error_message: opt(string(TEXT_MAX)),
      total_tokens: opt(nonNegative()),
      prompt_tokens: opt(nonNegative()),
      completion_tokens: opt(nonNegative()),
      total_cost_usd: opt(numeric(12, 6)),
      duration_ms: opt(nonNegative()),
      agents_used: opt(nonNegative()),
      tools_invoked: opt(nonNegative()),
      cache_hits: opt(nonNegative()),
      complexity_score: opt(numeric(6, 3)),
      metadata: opt(jsonObject()),
      response: opt(jsonObject()),
      model_used: opt(string(100)),
      provider: opt(string(50)),
      trigger_type: opt(oneOf(['api', 'schedule'])),
      schedule_id: opt(uuid()),
      cache_read_tokens: opt(nonNegative()),
      cache_creation_tokens: opt(nonNegative()),
      cache_aware_total_tokens: opt(nonNegative()),
    },
  },
  agent_execution: {
    timeColumn: 'created_at',
    naturalKey: () => undefined,
    columns: {
      agent_id: req(string(255)),
      input: req(string(TEXT_MAX)),
      output: opt(string(TEXT_MAX)),
      state: opt(oneOf(AGENT_STATES)),
      tokens_used: opt(nonNegative()),
      model_used: opt(string(100)),
      duration_ms: opt(integer(0, Number.MAX_SAFE_INTEGER, 'int8')),
      created_at: opt(timestamp()),
      workflow_id: opt(string(255)),
      task_id: opt(uuid()),
      error_message: opt(string(TEXT_MAX)),
      metadata: opt(jsonObject()),
      strategy: opt(string(100)),
    },
  },
  tool_execution: {
    timeColumn: 'created_at',
    naturalKey: () => undefined,
    columns: {
      tool_name: req(string(255)),
      agent_execution_id: opt(uuid()),
      input_params: opt(jsonObject()),
      output: opt(string(TEXT_MAX)),
      success: opt(boolean()),
      error: opt(string(TEXT_MAX)),
      duration_ms: opt(integer(0, Number.MAX_SAFE_INTEGER, 'int8')),
      tokens_consumed: opt(nonNegative()),
      workflow_id: opt(string(255)),
      agent_id: opt(string(255)),
      metadata: opt(jsonObject()),
      created_at: opt(timestamp()),
    },
  },
  token_usage: {
    timeColumn: 'created_at',
    // One row per LLM call: (task, agent, call_sequence) once the caller numbers its calls.
    naturalKey: (row) =>
      row['task_id'] !== undefined && typeof row['call_sequence'] === 'number' && row['call_sequence'] > 0
        ? [row['task_id'], row['agent_id'] ?? null, row['call_sequence']]
        : undefined,
    columns: {
      provider: req(string(50)),
      model: req(string(255)),
      prompt_tokens: req(nonNegative()),
      completion_tokens: req(nonNegative()),
      total_tokens: req(nonNegative()),
      cost_usd: req(numeric(12, 6)),
      user_id: opt(uuid()),
      created_at: opt(timestamp()),
      task_id: opt(uuid()),
      agent_id: opt(string(255)),
      cache_read_tokens: opt(nonNegative()),
      cache_creation_tokens: opt(nonNegative()),
      call_sequence: opt(integer(0)),
      cache_aware_total_tokens: opt(nonNegative()),
    },
  },
  event_log: {
    timeColumn: 'created_at',
    // W5: without a sequence the natural key is incomplete; the content decides instead.
    naturalKey: (row) =>
      typeof row['seq'] === 'number' ? [row['workflow_id'], row['type'], row['seq']] : undefined,
    columns: {
      workflow_id: req(string(255)),
      type: req(string(100)),
      task_id: opt(uuid()),
      agent_id: opt(string(255)),
      message: opt(string(TEXT_MAX)),
      payload: opt(jsonObject()),
      timestamp: opt(timestamp()),
      seq: opt(integer(1, Number.MAX_SAFE_INTEGER, 'int8')),
      stream_id: opt(string(64)),
      created_at: opt(timestamp()),
    },
  },
  audit_log: {
    timeColumn: 'created_at',
    naturalKey: () => undefined,
    columns: {
      action: req(string(255)),
      user_id: opt(uuid()),
      entity_type: opt(string(100)),
      entity_id: opt(string(255)),
      ip_address: opt(inet()),
      user_agent: opt(string(TEXT_MAX)),
      request_id: opt(string(255)),
      old_value: opt(jsonValue()),
      new_value: opt(jsonValue()),
      created_at: opt(timestamp()),
    },
  },
  auth_audit_log: {
    timeColumn: 'created_at',
    naturalKey: () => undefined,
    columns: {
      event_type: req(string(100)),
      user_id: opt(uuid()),
      ip_address: opt(inet()),
      user_agent: opt(string(TEXT_MAX)),
      details: opt(jsonObject()),
      created_at: opt(timestamp()),
    },
  },
  session_archive: {
    timeColumn: 'snapshot_taken_at',
    naturalKey: () => undefined,
    columns: {
      session_id: req(string(255)),
      user_id: opt(uuid()),
      snapshot_data: opt(jsonObject()),
      message_count: opt(nonNegative()),
      total_tokens: opt(nonNegative()),
      total_cost_usd: opt(numeric(12, 6)),
      session_started_at: opt(timestamp()),
      snapshot_taken_at: opt(timestamp()),
      ttl_expires_at: opt(timestamp()),
    },
  },
  learning_case: {
    timeColumn: 'created_at',
    naturalKey: (row) => [row['input_hash']],
    columns: {
      input_hash: req(string(64)),
      action_taken: req(jsonValue()),
      outcome: req(jsonValue()),
      user_id: opt(uuid()),
      input_summary: opt(string(TEXT_MAX)),
      reward: opt(float()),
      metadata: opt(jsonObject()),
      created_at: opt(timestamp()),
      task_id: opt(uuid()),
    },
  },
};
