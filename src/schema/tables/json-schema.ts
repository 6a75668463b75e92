/**
 * JSON Schemas (OpenAPI 3.1) derived from a table's definition. For requests: the records the write
 * path accepts, with the required columns, the optional ones (each may also be null), an optional
 * idempotency key, and nothing else; the write path's own validation (src/ingest/validate-record.ts)
 * stays the one that accepts or refuses a record. For responses: a row as the stores return it,
 * every column under its camelCase name, null where the column is nullable.
 */
import type { JsonSchema } from './columns.js';
import { type Columns, IDEMPOTENCY_KEY_MAX, recordColumns, type Table } from './table.js';

/** The schema of one column's value, also allowing null. */
function orNull(schema: JsonSchema): JsonSchema {
  if (schema['type'] === undefined) return schema;
  const withNull: Record<string, unknown> = { ...schema, type: [schema['type'], 'null'] };
  if (Array.isArray(schema['enum'])) withNull['enum'] = [...schema['enum'], null];
  return withNull;
}

/** The JSON Schema of a record of `definition`'s table (its tenant is not part of it). */
export function recordJsonSchema(definition: Table, title: string): JsonSchema {
  const columns = recordColumns(definition);
  const properties: Record<string, JsonSchema> = {};
  for (const [name, c] of columns)
    properties[name] = c.access === 'required' ? c.jsonSchema : orNull(c.jsonSchema);
  properties['idempotency_key'] = {
    type: 'string',
    minLength: 1,
    maxLength: IDEMPOTENCY_KEY_MAX,
    description: 'Derived from the natural key (or the whole record) when absent.',
  };
  return {
    title,
    description: `A row of ${definition.name}.`,
    type: 'object',
    required: columns.filter(([, c]) => c.access === 'required').map(([name]) => name),
    additionalProperties: false,
    properties,
  };
}

/** The name a store returns a column under: `workflow_id` → `workflowId`. */
export function fieldName(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The JSON Schema of a row of `definition`'s table as the read endpoints return it: every column but
 * those in `omit`, each always present (null where the column is nullable), under its camelCase
 * name. For documentation: a route serialising through it would drop fields it does not list.
 */
export function rowJsonSchema<C extends Columns>(
  definition: Table<C>,
  title: string,
  omit: readonly (keyof C & string)[] = [],
): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, { facts }] of Object.entries(definition.columns)) {
    if (!omit.includes(name))
      properties[fieldName(name)] = facts.nullable ? orNull(facts.jsonSchema) : facts.jsonSchema;
  }
  return {
    title,
    description: `A row of ${definition.name}.`,
    type: 'object',
    required: Object.keys(properties),
    properties,
  };
}
