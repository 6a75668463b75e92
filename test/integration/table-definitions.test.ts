/**
 * Every table definition (src/schema/tables/) against the migrated schema: the same column set, and
 * per column the same type (with its length or precision), nullability and default expression. A
 * migration that changes a written table fails here until its definition follows, and so does a
 * definition edited without a migration.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RECORD_TABLES } from '../../src/ingest/record-schemas.js';
import { varchar } from '../../src/schema/tables/columns.js';
import { EVENT_LOGS } from '../../src/schema/tables/event-logs.js';
import { type Table, table } from '../../src/schema/tables/table.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

interface CatalogColumn {
  column_name: string;
  udt_name: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
}

/** The type as the definitions write it: `varchar(255)`, `numeric(12,6)`, `int4`. */
function catalogType(c: CatalogColumn): string {
  if (c.udt_name === 'varchar' && c.character_maximum_length !== null)
    return `varchar(${c.character_maximum_length})`;
  if (c.udt_name === 'numeric' && c.numeric_precision !== null)
    return `numeric(${c.numeric_precision},${c.numeric_scale})`;
  return c.udt_name;
}

/** What differs between a definition and the catalog's columns of its table, one line each. */
function drift(definition: Table, catalog: readonly CatalogColumn[]): string[] {
  const found: string[] = [];
  const byName = new Map(catalog.map((c) => [c.column_name, c]));
  for (const [name, column] of Object.entries(definition.columns)) {
    const c = byName.get(name);
    const at = `${definition.name}.${name}`;
    if (c === undefined) {
      found.push(`${at}: defined, but the table has no such column`);
      continue;
    }
    const { facts } = column;
    if (facts.type !== catalogType(c))
      found.push(`${at}: type ${facts.type}, the table has ${catalogType(c)}`);
    if (facts.nullable !== (c.is_nullable === 'YES'))
      found.push(
        `${at}: ${facts.nullable ? 'nullable' : 'NOT NULL'}, the table has is_nullable ${c.is_nullable}`,
      );
    const defaultSql = facts.default?.sql ?? null;
    if (defaultSql !== c.column_default)
      found.push(`${at}: default ${defaultSql ?? 'none'}, the table has ${c.column_default ?? 'none'}`);
  }
  for (const name of byName.keys())
    if (!(name in definition.columns)) found.push(`${definition.name}.${name}: in the table, not defined`);
  return found;
}

let tdb: TestDatabase;
const catalogs = new Map<string, CatalogColumn[]>();

before(async () => {
  tdb = await createTestDatabase();
  const { rows } = await tdb.db.query<CatalogColumn & { table_name: string }>(
    `SELECT table_schema || '.' || table_name AS table_name, column_name, udt_name, character_maximum_length,
            numeric_precision, numeric_scale, is_nullable, column_default
       FROM information_schema.columns
      WHERE table_schema || '.' || table_name = ANY($1)
      ORDER BY table_name, ordinal_position`,
    [Object.values(RECORD_TABLES).map((t) => t.name)],
  );
  for (const row of rows) catalogs.set(row.table_name, [...(catalogs.get(row.table_name) ?? []), row]);
});

after(async () => {
  await tdb.drop();
});

describe('table definitions match information_schema.columns', () => {
  for (const [kind, definition] of Object.entries(RECORD_TABLES)) {
    test(`${kind}: ${definition.name}`, () => {
      const catalog = catalogs.get(definition.name);
      assert.ok(catalog !== undefined && catalog.length > 0, `${definition.name} is not in the schema`);
      assert.deepEqual(drift(definition, catalog), []);
    });
  }

  test('a definition that drifts from its table is reported, column by column', () => {
    const catalog = catalogs.get(EVENT_LOGS.name)!;
    const { stream_id: _removed, ...columns } = EVENT_LOGS.columns;
    const drifted = table(EVENT_LOGS.name, {
      ...columns,
      type: varchar(50).notNull().required(),
      payload: EVENT_LOGS.columns.payload.defaultSql("'[]'::jsonb"),
      message: EVENT_LOGS.columns.message.notNull(),
      label: varchar(10).optional(),
    });
    assert.deepEqual(drift(drifted, catalog), [
      'public.event_logs.type: type varchar(50), the table has varchar(100)',
      'public.event_logs.message: NOT NULL, the table has is_nullable YES',
      "public.event_logs.payload: default '[]'::jsonb, the table has '{}'::jsonb",
      'public.event_logs.label: defined, but the table has no such column',
      'public.event_logs.stream_id: in the table, not defined',
    ]);
  });
});
