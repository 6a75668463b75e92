/**
 * The bulk writer port and its PostgreSQL implementation. The write path is a trusted internal
 * writer: it connects as the owner role (no `SET ROLE`, so row-level security does not apply) and
 * writes explicit tenant_id values that validation has checked. One statement per batch for the
 * insert-only kinds (autocommit is atomic), one transaction of two statements for task upserts.
 */
import type { Database } from '../postgres/database.js';
import type { IngestRecord, RecordKind } from './record-kinds.js';
import {
  INSERT_AGENT_EXECUTIONS,
  INSERT_AUDIT_LOGS,
  INSERT_AUTH_AUDIT_LOGS,
  INSERT_EVENT_LOGS,
  INSERT_LEARNING_CASES,
  INSERT_SESSION_ARCHIVES,
  INSERT_TOKEN_USAGE,
  INSERT_TOOL_EXECUTIONS,
  type InsertStatement,
} from './sql/insert-statements.js';
import {
  CLAIM_TASK_KEYS,
  TASK_COLUMNS,
  TASK_TYPES,
  UPSERT_TASK_EXECUTIONS,
} from './sql/upsert-task-executions.js';

/** Writes one batch of one kind atomically: all records or none. */
export interface RecordWriter {
  /** @returns rows inserted or updated (duplicates absorbed by the idempotency key are not counted). */
  write(kind: RecordKind, records: readonly IngestRecord[]): Promise<number>;
  /** Resolves when the database accepts work again. */
  ping(): Promise<void>;
}

const INSERTS: Readonly<Record<Exclude<RecordKind, 'task_execution'>, InsertStatement>> = {
  agent_execution: INSERT_AGENT_EXECUTIONS,
  tool_execution: INSERT_TOOL_EXECUTIONS,
  token_usage: INSERT_TOKEN_USAGE,
  event_log: INSERT_EVENT_LOGS,
  audit_log: INSERT_AUDIT_LOGS,
  auth_audit_log: INSERT_AUTH_AUDIT_LOGS,
  session_archive: INSERT_SESSION_ARCHIVES,
  learning_case: INSERT_LEARNING_CASES,
};

/** One parameter array per column; jsonb values serialised, absent values NULL. */
function columnArrays(
  records: readonly IngestRecord[],
  columns: readonly string[],
  types: readonly string[],
): unknown[][] {
  return columns.map((column, i) => {
    const json = types[i] === 'jsonb';
    return records.map((r) => {
      const value = r.row[column];
      if (value === undefined || value === null) return null;
      return json ? JSON.stringify(value) : value;
    });
  });
}

/** PostgreSQL writer over the data layer's Database (breaker, client-side deadline). */
export class PostgresRecordWriter implements RecordWriter {
  constructor(private readonly db: Database) {}

  async write(kind: RecordKind, records: readonly IngestRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const tenants = records.map((r) => r.tenantId);
    if (kind === 'task_execution') {
      const arrays = columnArrays(records, TASK_COLUMNS, TASK_TYPES);
      return this.db.withTransaction(
        async (tx) => {
          await tx.query(
            CLAIM_TASK_KEYS,
            [tenants, records.map((r) => r.row['workflow_id']), records.map((r) => r.row['started_at'])],
            { operation: 'ingest.claim_task_keys' },
          );
          const result = await tx.query(UPSERT_TASK_EXECUTIONS, [tenants, ...arrays], {
            operation: 'ingest.upsert_task_executions',
          });
          return result.rowCount;
        },
        { operation: 'ingest.task_execution' },
      );
    }
    const statement = INSERTS[kind];
    const params = [
      tenants,
      records.map((r) => r.key),
      ...columnArrays(records, statement.columns, statement.types),
    ];
    const result = await this.db.query(statement.text, params, { operation: `ingest.${kind}` });
    return result.rowCount;
  }

  async ping(): Promise<void> {
    await this.db.ping();
  }
}
