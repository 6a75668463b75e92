/**
 * Regenerates src/schema/schema.dump.sql from a freshly migrated scratch database.
 * Usage: npx tsx scripts/update-schema-dump.ts   (needs the test PostgreSQL, see README)
 */
import { writeFileSync } from 'node:fs';
import { dumpSchema } from '../src/schema/schema-dump.js';
import { createTestDatabase } from '../test/helpers/database.js';

async function main(): Promise<void> {
  const t = await createTestDatabase();
  try {
    const text = await dumpSchema(t.db);
    writeFileSync(new URL('../src/schema/schema.dump.sql', import.meta.url), text);
    process.stdout.write(`wrote src/schema/schema.dump.sql (${text.split('\n').length} lines)\n`);
  } finally {
    await t.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
