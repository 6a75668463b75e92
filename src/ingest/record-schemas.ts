/**
 * What the write path derives from each record kind's entry (record-kinds.ts) and its table
 * definition (src/schema/tables/): the columns a record may carry, their parsers and whether they
 * are required, and `RecordOf<K>`, the TypeScript type of a record of kind K.
 */
import type { ColumnFacts } from '../schema/tables/columns.js';
import { type RecordInput, recordColumns, type Table } from '../schema/tables/table.js';
import { type KindSpec, RECORD_KIND_SPECS, RECORD_KINDS, type RecordKind } from './record-kinds.js';

/** The table each record kind is written to. */
export const RECORD_TABLES = Object.fromEntries(
  RECORD_KINDS.map((kind) => [kind, RECORD_KIND_SPECS[kind].table]),
) as { readonly [K in RecordKind]: (typeof RECORD_KIND_SPECS)[K]['table'] };
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

function schema(kind: RecordKind): RecordSchema {
  const spec: KindSpec = RECORD_KIND_SPECS[kind];
  const columns = new Map(recordColumns(spec.table));
  const required = [...columns].filter(([, c]) => c.access === 'required').map(([name]) => name);
  return {
    table: spec.table,
    columns,
    required,
    timeColumn: spec.timeColumn,
    naturalKey: spec.naturalKey ?? (() => undefined),
  };
}

export const RECORD_SCHEMAS: Readonly<Record<RecordKind, RecordSchema>> = Object.fromEntries(
  RECORD_KINDS.map((kind) => [kind, schema(kind)]),
) as Record<RecordKind, RecordSchema>;
