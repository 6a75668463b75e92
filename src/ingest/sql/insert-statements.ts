/**
 * Bulk inserts of the insert-only kinds, derived from each table's definition
 * (src/schema/tables/) and generated in the two shapes the writer uses (src/ingest/record-writer.ts):
 * - `copyText`: `COPY … FROM STDIN` in text format, the fast path (raw COPY against the upsert on
 *   the same table: docs/benchmarks.md "Write path"). COPY has no ON CONFLICT:
 *   one record whose idempotency key is already stored fails the whole statement, and the batch is
 *   then written with…
 * - `upsertText`: `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`, one array per column,
 *   which absorbs a record already stored (a retry or a replay). Its text never grows with the batch.
 * A value a record leaves out is filled in here (the column's constant default, or the value of
 * the column named by `absentFrom`), not by the statement: both shapes pass NULL explicitly, which
 * never takes a column default, and both store the same row. Parameter and column order:
 * tenant_id, idempotency_key, then the columns a record may set, in definition order.
 */
import { recordColumns, type Table } from '../../schema/tables/table.js';
import { type IngestRecord, RECORD_KINDS, type RecordKind } from '../record-kinds.js';
import { RECORD_TABLES } from '../record-schemas.js';
import { copyField } from './copy-text.js';

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

function insertStatement(definition: Table): InsertStatement {
  const table = definition.name;
  const specs = recordColumns(definition);
  const columns = specs.map(([name]) => name);
  const types = specs.map(([, c]) => c.bindType);
  const targets = ['tenant_id', 'idempotency_key', ...columns].map(quote).join(', ');
  const arrays = ['uuid', 'text', ...types].map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  const fillers = specs.map(([, c]) => {
    const json = c.bindType === 'jsonb';
    const from = c.absentFrom;
    const constant = c.default?.value ?? null;
    const fill = from === undefined ? () => constant : (row: Readonly<Record<string, unknown>>) => row[from];
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

/** The kinds written by plain inserts; task records are upserts (upsert-task-executions.ts). */
export type InsertKind = Exclude<RecordKind, 'task_execution'>;

/** One insert statement per insert-only kind, derived from its table. */
export const INSERT_STATEMENTS: Readonly<Record<InsertKind, InsertStatement>> = Object.fromEntries(
  RECORD_KINDS.filter((kind) => kind !== 'task_execution').map((kind) => [
    kind,
    insertStatement(RECORD_TABLES[kind]),
  ]),
) as Record<InsertKind, InsertStatement>;
