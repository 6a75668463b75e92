/**
 * `shannon-data seed [--tenants N] [--tasks N] [--events N] … [--json]`: fills the configured,
 * migrated database with a realistic synthetic workload (src/devtools/seed/). `--events` is the
 * total wanted; it sets the average events per task (events / tasks). scripts/seed.ts takes the
 * same options against an explicit --database-url.
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_SEED_BATCH_TASKS,
  DEFAULT_SEED_CONCURRENCY,
  DEFAULT_SEED_EVENTS_PER_TASK,
} from '../../devtools/devtools-defaults.js';
import type { SeedOptions, SeedResult } from '../../devtools/seed/seed-database.js';
import type { CliContext } from '../cli-context.js';

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

/** Adds the data set's options (sizes, seed, batching, --json) to `command`. */
export function addSeedOptions(command: Command): Command {
  return command
    .option('--tenants <n>', 'tenants', positiveInteger, 20)
    .option('--users-per-tenant <n>', 'users per tenant', positiveInteger, 100)
    .option('--sessions <n>', 'sessions', positiveInteger, 50_000)
    .option('--tasks <n>', 'task executions', positiveInteger, 200_000)
    .option('--events <n>', 'event log rows in total (average per task = events / tasks)', positiveNumber)
    .option('--events-per-task <n>', 'average events per task', positiveNumber, DEFAULT_SEED_EVENTS_PER_TASK)
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
    .option('--json', 'print the result as JSON');
}

/** The parsed options of addSeedOptions as the seed generator's options. */
export function seedOptionsFrom(opts: Record<string, unknown>): Omit<SeedOptions, 'onProgress'> {
  const tasks = opts['tasks'] as number;
  const events = opts['events'] as number | undefined;
  return {
    tenants: opts['tenants'] as number,
    usersPerTenant: opts['usersPerTenant'] as number,
    sessions: opts['sessions'] as number,
    tasks,
    eventsPerTask: events === undefined ? (opts['eventsPerTask'] as number) : events / tasks,
    tokenUsagePerTask: opts['tokenUsagePerTask'] as number,
    agentExecutionsPerTask: opts['agentExecutionsPerTask'] as number,
    toolExecutionsPerAgent: opts['toolExecutionsPerAgent'] as number,
    months: opts['months'] as number,
    seed: opts['seed'] as string,
    batchTasks: opts['batchTasks'] as number,
    concurrency: opts['concurrency'] as number,
  };
}

/** Human rendering: rows per table, then the time taken. */
export function formatSeedResult(result: SeedResult): string {
  const lines = Object.entries(result.rows).map(([table, n]) => `${table.padEnd(28)} ${n}`);
  lines.push(`seeded in ${(result.durationMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

export function seedCommand(ctx: CliContext): Command {
  return addSeedOptions(
    new Command('seed').description(
      'Fill the configured database with a realistic synthetic workload (development and benchmarks)',
    ),
  ).action(async (options: Record<string, unknown>, command: Command) => {
    const json = options['json'] === true;
    const seedOptions = seedOptionsFrom(options);
    // Loaded here, not at start-up: the seed generator is a development tool.
    const { seedDatabase } = await import('../../devtools/seed/seed-database.js');
    const dataLayer = await ctx.openDataLayer(ctx.loadConfig(command));
    try {
      const bar = ctx.progress(json, 'seeding', seedOptions.tasks);
      const result = await seedDatabase(dataLayer.db, {
        ...seedOptions,
        onProgress: (p) => bar.update(p.done, p.total),
      });
      bar.stop();
      ctx.output(json, result, () => formatSeedResult(result));
    } finally {
      await dataLayer.close();
    }
  });
}
