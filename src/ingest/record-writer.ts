/**
 * The bulk writer port and its PostgreSQL implementation. The write path is a trusted internal
 * writer: it connects as the owner role (no `SET ROLE shannon_app`: as a superuser, or through the
 * shannon_system policy of migration 0011, it may write every tenant's rows) and writes explicit
 * tenant_id values that validation has checked. One statement per batch for the
 * insert-only kinds (autocommit is atomic: a COPY, or an upsert when the COPY fails for the data),
 * one transaction of two statements for task upserts.
 */
import { DatabaseError } from '../errors/errors.js';
import type { Database } from '../postgres/database.js';
import { classifyError } from '../postgres/sqlstate.js';
import { type IngestEvents, NO_INGEST_EVENTS } from './ingest-events.js';
import type { IngestRecord, RecordKind } from './record-kinds.js';
import { INSERT_STATEMENTS } from './sql/insert-statements.js';
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

/** SQLSTATE of "COPY FROM not supported with row-level security". */
const FEATURE_NOT_SUPPORTED = '0A000';

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

/** Splits task updates into rounds: the n-th update of each workflow (tenant and key) in round n. */
export function taskRounds(records: readonly IngestRecord[]): IngestRecord[][] {
  const seen = new Map<string, number>();
  const rounds: IngestRecord[][] = [];
  for (const record of records) {
    const id = `${record.tenantId}\n${record.key}`;
    const n = seen.get(id) ?? 0;
    seen.set(id, n + 1);
    if (n === rounds.length) rounds.push([]);
    rounds[n]!.push(record);
  }
  return rounds;
}

/**
 * After a COPY of a kind fails for its data (a key already stored, or a bad record), that kind is
 * written with upserts for this long: a replay or a burst of retries would fail COPY after COPY,
 * and bisecting a bad record needs no COPY attempts.
 */
export const UPSERT_AFTER_COPY_FAILURE_MS = 5_000;

export interface PostgresRecordWriterOptions {
  /** Told of every batch written by upsert after its COPY failed (ingest-metrics.ts counts them). */
  events?: Pick<IngestEvents, 'copyFallback'>;
  now?: () => number;
}

/**
 * PostgreSQL writer over the data layer's Database (breaker, client-side deadline). Insert-only
 * kinds go by COPY first and by upsert when COPY fails for the data (see sql/insert-statements.ts):
 * COPY cannot skip a stored key, so a duplicate aborts it whole and the upsert then absorbs it.
 * PostgreSQL refuses COPY FROM into a table whose row-level security applies to the writing role
 * (a non-superuser owner without BYPASSRLS); the writer then uses upserts only.
 */
export class PostgresRecordWriter implements RecordWriter {
  private copyPermitted = true;
  private readonly upsertUntil = new Map<RecordKind, number>();
  private readonly events: Pick<IngestEvents, 'copyFallback'>;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    options: PostgresRecordWriterOptions = {},
  ) {
    this.events = options.events ?? NO_INGEST_EVENTS;
    this.now = options.now ?? Date.now;
  }

  async write(kind: RecordKind, records: readonly IngestRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    if (kind === 'task_execution') return this.writeTasks(records);
    const statement = INSERT_STATEMENTS[kind];
    if (this.copyPermitted && (this.upsertUntil.get(kind) ?? 0) <= this.now()) {
      try {
        let data = '';
        for (const record of records) data += statement.copyLine(record);
        return await this.db.copyFrom(statement.copyText, data, {
          operation: `ingest.${kind}.copy`,
        });
      } catch (error) {
        const cls = classifyError(error);
        if (cls === 'transient' || cls === 'fatal') throw error;
        const notPermitted = error instanceof DatabaseError && error.sqlstate === FEATURE_NOT_SUPPORTED;
        if (notPermitted) this.copyPermitted = false;
        else this.upsertUntil.set(kind, this.now() + UPSERT_AFTER_COPY_FAILURE_MS);
        const reason = notPermitted ? 'not_permitted' : cls === 'conflict' ? 'stored_key' : 'rejected';
        this.events.copyFallback(kind, reason);
      }
    }
    const result = await this.db.query(statement.upsertText, statement.upsertParams(records), {
      operation: `ingest.${kind}`,
    });
    return result.rowCount;
  }

  /**
   * Task updates in one transaction: the workflows' keys are claimed, then the updates are applied
   * in rounds — round n holds each workflow's n-th update of the batch — so a workflow's updates run
   * one after another in arrival order (one statement cannot update a row twice). Most batches
   * are one round.
   */
  private async writeTasks(records: readonly IngestRecord[]): Promise<number> {
    return this.db.withTransaction(
      async (tx) => {
        await tx.query(
          CLAIM_TASK_KEYS,
          [
            records.map((r) => r.tenantId),
            records.map((r) => r.row['workflow_id']),
            records.map((r) => r.row['started_at']),
          ],
          { operation: 'ingest.claim_task_keys' },
        );
        let written = 0;
        for (const round of taskRounds(records)) {
          const arrays = columnArrays(round, TASK_COLUMNS, TASK_TYPES);
          const result = await tx.query(UPSERT_TASK_EXECUTIONS, [round.map((r) => r.tenantId), ...arrays], {
            operation: 'ingest.upsert_task_executions',
          });
          written += result.rowCount;
        }
        return written;
      },
      { operation: 'ingest.task_execution' },
    );
  }

  async ping(): Promise<void> {
    await this.db.ping();
  }
}
