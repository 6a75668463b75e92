/**
 * JSON Schemas (OpenAPI 3.1) of the records the write path accepts for a table, derived from its
 * definition: the required columns, the optional ones (each may also be null), an optional
 * idempotency key, and nothing else. They document requests; the write path's own validation
 * (src/ingest/validate-record.ts) stays the one that accepts or refuses a record.
 */
import type { JsonSchema } from './columns.js';
import { IDEMPOTENCY_KEY_MAX, recordColumns, type Table } from './table.js';

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
