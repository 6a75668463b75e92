/**
 * The vocabulary the table definitions are written in (src/schema/tables/*.ts): one column states
 * once its PostgreSQL type, nullability and default as the migrations create them, the parser the
 * write path validates a record's value with, and whether a record may (or must) set it. The
 * write path's validation, its insert column lists, the stores' column lists, the TypeScript record
 * types and the OpenAPI schemas are derived from these; test/integration/table-definitions.test.ts
 * compares every definition with information_schema.columns.
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
  uuid as uuidParser,
} from '../../validation/field-parsers.js';

/** Whether a record of the write path sets the column: it must, it may, or it never does. */
export type Access = 'required' | 'optional' | 'none';

/** A JSON Schema fragment (OpenAPI 3.1) describing a column's value in a request. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ColumnDefault {
  /** The default expression as information_schema.columns.column_default prints it. */
  readonly sql: string;
  /**
   * The value the write path stores when a record leaves the column out. The bulk statements pass
   * NULL for an absent value explicitly, and an explicit NULL never takes the column's default.
   */
  readonly value?: unknown;
}

export interface ColumnFacts {
  /** information_schema's udt_name with its length or precision: `varchar(255)`, `numeric(12,6)`, `int4`. */
  readonly type: string;
  /** Element type the bulk statements cast their parameter arrays to (`unnest($n::text[])`). */
  readonly bindType: string;
  readonly nullable: boolean;
  readonly default?: ColumnDefault;
  /** Validates and normalises a record's value (src/validation/field-parsers.ts). */
  readonly parser: FieldParser;
  readonly access: Access;
  /** Column whose value the write path stores when a record leaves this one out. */
  readonly absentFrom?: string;
  readonly jsonSchema: JsonSchema;
}

/**
 * One column. `T` is the TypeScript type a record gives its value as, `A` whether it may; both exist
 * for the types only (`RecordInput`). Every method returns a new column.
 */
export class Column<T, A extends Access = 'none'> {
  /** Type-level only: the value type of a record's field. */
  declare readonly valueType: T;

  constructor(readonly facts: ColumnFacts & { readonly access: A }) {}

  /** The column is NOT NULL. */
  notNull(): Column<T, A> {
    return new Column({ ...this.facts, nullable: false });
  }

  /** A constant default; the write path stores the same value for a record that leaves it out. */
  default(value: T): Column<T, A> {
    return new Column({ ...this.facts, default: { sql: literal(this.facts.type, value), value } });
  }

  /** A default expression PostgreSQL evaluates (`now()`, `gen_random_uuid()`). */
  defaultSql(sql: string): Column<T, A> {
    return new Column({ ...this.facts, default: { sql } });
  }

  /** A record must set the column. */
  required(): Column<T, 'required'> {
    return new Column({ ...this.facts, access: 'required' });
  }

  /** A record may set the column. */
  optional(): Column<T, 'optional'> {
    return new Column({ ...this.facts, access: 'optional' });
  }

  /** When a record leaves the column out, the write path stores `column`'s value instead. */
  absentFrom(column: string): Column<T, A> {
    return new Column({ ...this.facts, absentFrom: column });
  }

  /** Only these strings are accepted. */
  oneOf<V extends string>(values: readonly V[]): Column<V, A> {
    return new Column({
      ...this.facts,
      parser: oneOf(values),
      jsonSchema: { type: 'string', enum: [...values] },
    }) as unknown as Column<V, A>;
  }
}

/** Any column, whatever its value type. */
// biome-ignore lint/suspicious/noExplicitAny: the value type is a phantom; only Access matters here.
export type AnyColumn = Column<any, Access>;

/** The default as PostgreSQL prints it for a constant of this column's type. */
function literal(type: string, value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (type === 'jsonb') return `'${JSON.stringify(value)}'::jsonb`;
  if (type.startsWith('varchar')) return `'${String(value)}'::character varying`;
  return `'${String(value)}'::${type}`;
}

function column<T>(facts: Omit<ColumnFacts, 'nullable' | 'access'>): Column<T> {
  return new Column<T>({ ...facts, nullable: true, access: 'none' });
}

/** Bound of `text` values: keeps a single value well below the record size limit's order. */
export const TEXT_MAX = 1_000_000;
const INT4_MAX = 2_147_483_647;

export const uuid = () =>
  column<string>({
    type: 'uuid',
    bindType: 'uuid',
    parser: uuidParser(),
    jsonSchema: { type: 'string', format: 'uuid' },
  });

export const varchar = (length: number) =>
  column<string>({
    type: `varchar(${length})`,
    bindType: 'text',
    parser: string(length),
    jsonSchema: { type: 'string', maxLength: length },
  });

export const text = () =>
  column<string>({
    type: 'text',
    bindType: 'text',
    parser: string(TEXT_MAX),
    jsonSchema: { type: 'string', maxLength: TEXT_MAX },
  });

/** int4 with values from `min` (default 0: every integer column counts something). */
export const int4 = (min = 0) =>
  column<number>({
    type: 'int4',
    bindType: 'int4',
    parser: integer(min),
    jsonSchema: { type: 'integer', minimum: min, maximum: INT4_MAX },
  });

/** int8 with values from `min` up to the largest integer a JSON number holds exactly. */
export const int8 = (min = 0) =>
  column<number>({
    type: 'int8',
    bindType: 'int8',
    parser: integer(min, Number.MAX_SAFE_INTEGER, 'int8'),
    jsonSchema: { type: 'integer', minimum: min, maximum: Number.MAX_SAFE_INTEGER },
  });

/** numeric(precision, scale), non-negative. */
export const numericColumn = (precision: number, scale: number) =>
  column<number>({
    type: `numeric(${precision},${scale})`,
    bindType: 'numeric',
    parser: numeric(precision, scale),
    jsonSchema: { type: 'number', minimum: 0, exclusiveMaximum: 10 ** (precision - scale) },
  });

export const float8 = () =>
  column<number>({ type: 'float8', bindType: 'float8', parser: float(), jsonSchema: { type: 'number' } });

export const bool = () =>
  column<boolean>({ type: 'bool', bindType: 'bool', parser: boolean(), jsonSchema: { type: 'boolean' } });

export const timestamptz = () =>
  column<string | Date>({
    type: 'timestamptz',
    bindType: 'timestamptz',
    parser: timestamp(),
    jsonSchema: { type: 'string', format: 'date-time' },
  });

export const inetColumn = () =>
  column<string>({
    type: 'inet',
    bindType: 'inet',
    parser: inet(),
    jsonSchema: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
  });

/** jsonb holding a JSON object. */
export const jsonbObject = () =>
  column<Record<string, unknown>>({
    type: 'jsonb',
    bindType: 'jsonb',
    parser: jsonObject(),
    jsonSchema: { type: 'object' },
  });

/** jsonb holding any JSON value. */
export const jsonb = () =>
  column<unknown>({ type: 'jsonb', bindType: 'jsonb', parser: jsonValue(), jsonSchema: {} });
