/**
 * Seeds a migrated database with a synthetic workload.
 * Usage: tsx scripts/seed.ts --database-url postgres://… --tasks 200000 --events 1000000 [--json]
 * `--events` is the total wanted; it sets the average events per task (events / tasks).
 */
import { Command, InvalidArgumentError } from 'commander';
import pg from 'pg';
import {
  DEFAULT_SEED_BATCH_TASKS,
  DEFAULT_SEED_CONCURRENCY,
  SMALL_SEED,
  seedDatabase,
} from '../src/ops/seed/seed-database.js';
import type { Queryable } from '../src/postgres/queryable.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative number, got ${value}`);
  return n;
}

function positiveInteger(value: string): number {
  const n = positiveNumber(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${value}`);
  return n;
}

const program = new Command('seed')
  .description('Fill a migrated Shannon Data database with a realistic synthetic workload')
  .requiredOption(
    '--database-url <url>',
    'PostgreSQL URL (connects as the owner)',
    process.env['DATABASE_URL'],
  )
  .option('--tenants <n>', 'tenants', positiveInteger, 20)
  .option('--users-per-tenant <n>', 'users per tenant', positiveInteger, 100)
  .option('--sessions <n>', 'sessions', positiveInteger, 50_000)
  .option('--tasks <n>', 'task executions', positiveInteger, 200_000)
  .option('--events <n>', 'event log rows in total (average per task = events / tasks)', positiveNumber)
  .option('--events-per-task <n>', 'average events per task', positiveNumber, SMALL_SEED.eventsPerTask)
  .option('--token-usage-per-task <n>', 'average token usage rows per task', positiveNumber, 3)
  .option('--agent-executions-per-task <n>', 'average agent executions per task', positiveNumber, 2)
  .option(
    '--tool-executions-per-agent <n>',
    'average tool executions per agent execution',
    positiveNumber,
    1.5,
  )
  .option('--months <n>', 'spread timestamps over the last N months', positiveInteger, 4)
  .option('--seed <seed>', 'seed for reproducible data (load each seed once)', 'shannon')
  .option('--batch-tasks <n>', 'tasks per INSERT batch', positiveInteger, DEFAULT_SEED_BATCH_TASKS)
  .option(
    '--concurrency <n>',
    'child-row batches in flight at once',
    positiveInteger,
    DEFAULT_SEED_CONCURRENCY,
  )
  .option('--json', 'print the result as JSON')
  .parse();

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
  const tasks = opts['tasks'] as number;
  const result = await seedDatabase(db, {
    tenants: opts['tenants'],
    usersPerTenant: opts['usersPerTenant'],
    sessions: opts['sessions'],
    tasks,
    eventsPerTask: opts['events'] === undefined ? opts['eventsPerTask'] : (opts['events'] as number) / tasks,
    tokenUsagePerTask: opts['tokenUsagePerTask'],
    agentExecutionsPerTask: opts['agentExecutionsPerTask'],
    toolExecutionsPerAgent: opts['toolExecutionsPerAgent'],
    months: opts['months'],
    seed: opts['seed'],
    batchTasks: opts['batchTasks'],
    concurrency: opts['concurrency'],
    onProgress: opts['json']
      ? undefined
      : (p) => process.stderr.write(`\r${p.table}: ${p.done}/${p.total} tasks   `),
  });
  if (opts['json']) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stderr.write('\n');
    for (const [table, n] of Object.entries(result.rows)) process.stdout.write(`${table.padEnd(28)} ${n}\n`);
    process.stdout.write(`seeded in ${(result.durationMs / 1000).toFixed(1)} s\n`);
  }
} catch (error) {
  process.stderr.write(`\nseed failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
