/**
 * Seeds a migrated database with a synthetic workload.
 * Usage: tsx scripts/seed.ts --database-url postgres://… --tasks 200000 --events 1000000 [--json]
 * `--events` is the total wanted; it sets the average events per task (events / tasks). The same as
 * `shannon-data seed`, but against an explicit --database-url and on a plain pg pool.
 */
import { Command } from 'commander';
import pg from 'pg';
import { addSeedOptions, formatSeedResult, seedOptionsFrom } from '../src/cli/commands/seed.js';
import { seedDatabase } from '../src/devtools/seed/seed-database.js';
import type { Queryable } from '../src/postgres/queryable.js';

// The data set's options are those of `shannon-data seed` (src/cli/commands/seed.ts).
const program = addSeedOptions(
  new Command('seed')
    .description('Fill a migrated Shannon Data database with a realistic synthetic workload')
    .requiredOption(
      '--database-url <url>',
      'PostgreSQL URL (connects as the owner)',
      process.env['DATABASE_URL'],
    ),
).parse();

const opts = program.opts();
const pool = new pg.Pool({
  connectionString: opts['databaseUrl'] as string,
  max: opts['concurrency'] as number,
});
const db: Queryable = {
  query: async (text, values) => {
    const result = await pool.query(text, values as unknown[]);
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  },
};
try {
  const result = await seedDatabase(db, {
    ...seedOptionsFrom(opts),
    onProgress: opts['json']
      ? undefined
      : (p) => process.stderr.write(`\r${p.table}: ${p.done}/${p.total} tasks   `),
  });
  if (opts['json']) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stderr.write('\n');
    process.stdout.write(`${formatSeedResult(result)}\n`);
  }
} catch (error) {
  process.stderr.write(`\nseed failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
