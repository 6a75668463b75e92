/**
 * A table definition: its schema-qualified name and its columns in the order the definition lists
 * them (which is the order of the write path's statement parameters, not necessarily the table's).
 * `RecordInput` is the TypeScript type of a record the write path accepts for the table.
 */
import type { Access, AnyColumn, ColumnFacts } from './columns.js';

/** Longest idempotency key a record may supply (characters). */
export const IDEMPOTENCY_KEY_MAX = 255;

export type Columns = Readonly<Record<string, AnyColumn>>;

export interface Table<C extends Columns = Columns> {
  /** Schema-qualified: `public.event_logs`. */
  readonly name: string;
  readonly columns: C;
}

export function table<C extends Columns>(name: string, columns: C): Table<C> {
  return { name, columns };
}

/** The columns a record may set (required or optional), in definition order. */
export function recordColumns(definition: Table): Array<readonly [string, ColumnFacts]> {
  return Object.entries(definition.columns)
    .filter(([, c]) => c.facts.access !== 'none')
    .map(([name, c]) => [name, c.facts] as const);
}

type KeysWith<C extends Columns, A extends Access> = {
  [K in keyof C]: C[K]['facts']['access'] extends A ? K : never;
}[keyof C];

/**
 * A record's columns: required ones with their value, optional ones absent, undefined or null
 * (either means "not given": the column's default or NULL is stored).
 */
export type RecordInput<C extends Columns> = {
  [K in KeysWith<C, 'required'>]: C[K]['valueType'];
} & {
  [K in KeysWith<C, 'optional'>]?: C[K]['valueType'] | null;
};
