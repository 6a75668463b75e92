/**
 * Fills a migrated database with a realistic synthetic workload, fast: every row is generated on
 * the server by `INSERT … SELECT generate_series(…)` in batches of tasks, so nothing streams through
 * the client. Runs as the owner (not the application role). The daily-aggregate trigger stays on,
 * so usage_daily_aggregates is exactly what the live write path would have produced.
 */
import { ValidationError } from '../../errors/errors.js';
import type { Queryable } from '../../postgres/queryable.js';
import {
  DEFAULT_SEED_BATCH_TASKS,
  DEFAULT_SEED_CONCURRENCY,
  DEFAULT_SEED_EVENTS_PER_TASK,
} from '../devtools-defaults.js';
import {
  CREATE_PARTITIONS,
  SEED_AGENT_EXECUTIONS,
  SEED_ALREADY_LOADED,
  SEED_EVENTS,
  SEED_SESSIONS,
  SEED_TASKS,
  SEED_TENANTS,
  SEED_TOKEN_USAGE,
  SEED_TOOL_EXECUTIONS,
  SEED_USERS,
  SEEDED_PARTITIONED_TABLES,
  SEEDED_TABLES,
} from './seed-queries.js';

export interface SeedOptions {
  tenants: number;
  usersPerTenant: number;
  sessions: number;
  tasks: number;
  /** Average per task; each task gets 0.4×–1.6× of it (12.5 gives 5–20 events). */
  eventsPerTask: number;
  tokenUsagePerTask: number;
  agentExecutionsPerTask: number;
  /** Average per agent execution. */
  toolExecutionsPerAgent: number;
  /** Timestamps spread over the last `months` × 30 days. */
  months: number;
  /** Makes the data reproducible; a seed can be loaded into a database once. */
  seed: string | number;
  /** Tasks per INSERT batch (default {@link DEFAULT_SEED_BATCH_TASKS}). */
  batchTasks?: number;
  /** Batches of per-task child rows in flight at once (default {@link DEFAULT_SEED_CONCURRENCY}). */
  concurrency?: number;
  /** Called after each batch with the table and rows inserted so far. */
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedProgress {
  table: string;
  done: number;
  total: number;
}

export interface SeedResult {
  /** Rows inserted per table. */
  rows: Record<string, number>;
  durationMs: number;
}

/** Sizes of a small, quick data set (tests, demos). */
export const SMALL_SEED: Omit<SeedOptions, 'seed'> = {
  tenants: 3,
  usersPerTenant: 20,
  sessions: 300,
  tasks: 2_000,
  eventsPerTask: DEFAULT_SEED_EVENTS_PER_TASK,
  tokenUsagePerTask: 3,
  agentExecutionsPerTask: 2,
  toolExecutionsPerAgent: 1.5,
  months: 4,
};

/** Per-statement budget: one batch may take a while on a busy machine. */
const BATCH_TIMEOUT_MS = 300_000;

function checkOptions(options: SeedOptions): void {
  const counts = ['tenants', 'usersPerTenant', 'sessions', 'tasks', 'months'] as const;
  for (const field of counts) {
    const value = options[field];
    if (!Number.isInteger(value) || value < 1 || value > 2_000_000_000) {
      throw new ValidationError(field, `${field} must be a positive integer, got ${value}`);
    }
  }
  const averages = [
    'eventsPerTask',
    'tokenUsagePerTask',
    'agentExecutionsPerTask',
    'toolExecutionsPerAgent',
  ] as const;
  for (const field of averages) {
    const value = options[field];
    if (!Number.isFinite(value) || value < 0 || value > 1_000) {
      throw new ValidationError(field, `${field} must be a number between 0 and 1000, got ${value}`);
    }
  }
  if (options.months > 120)
    throw new ValidationError('months', `months must be at most 120, got ${options.months}`);
  const batch = options.batchTasks ?? DEFAULT_SEED_BATCH_TASKS;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new ValidationError('batchTasks', `batchTasks must be a positive integer, got ${batch}`);
  }
  const concurrency = options.concurrency ?? DEFAULT_SEED_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new ValidationError(
      'concurrency',
      `concurrency must be an integer from 1 to 32, got ${concurrency}`,
    );
  }
  if (String(options.seed).length === 0 || String(options.seed).length > 40) {
    throw new ValidationError('seed', 'seed must be 1 to 40 characters');
  }
}

interface SeedJob {
  table: string;
  sql: string;
  total: number;
  params: unknown[];
}

/** Runs jobs with at most `concurrency` in flight; stops taking new ones after the first failure. */
async function runJobs(list: SeedJob[], concurrency: number, execute: (job: SeedJob) => Promise<void>) {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < list.length) {
      const job = list[next++]!;
      try {
        await execute(job);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // allSettled: never return while a sibling batch is still running on the connection pool.
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(concurrency, list.length)) }, worker),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

/** Seeds the database; returns rows inserted per table. @throws ValidationError on bad options. */
export async function seedDatabase(db: Queryable, options: SeedOptions): Promise<SeedResult> {
  checkOptions(options);
  const startedAt = performance.now();
  const seed = String(options.seed);
  const batch = options.batchTasks ?? DEFAULT_SEED_BATCH_TASKS;
  const rows: Record<string, number> = {};
  const params = (from: number, to: number, avg = 0, toolsAvg = 0) => [
    seed,
    options.tenants,
    options.usersPerTenant,
    options.sessions,
    options.months,
    from,
    to,
    avg,
    toolsAvg,
  ];
  const done: Record<string, number> = {};
  const jobs = (
    table: string,
    sql: string,
    total: number,
    step: number,
    avg = 0,
    toolsAvg = 0,
  ): SeedJob[] => {
    rows[table] ??= 0;
    const list: SeedJob[] = [];
    for (let from = 0; from < total; from += step) {
      list.push({ table, sql, total, params: params(from, Math.min(total, from + step) - 1, avg, toolsAvg) });
    }
    return list;
  };
  const execute = async (job: SeedJob) => {
    const result = await db.query(job.sql, job.params, {
      operation: 'seed.insert',
      timeoutMs: BATCH_TIMEOUT_MS,
    });
    rows[job.table] = (rows[job.table] ?? 0) + result.rowCount;
    done[job.table] = (done[job.table] ?? 0) + (job.params[6] as number) - (job.params[5] as number) + 1;
    options.onProgress?.({ table: job.table, done: done[job.table]!, total: job.total });
  };

  const loaded = await db.query(SEED_ALREADY_LOADED, [seed], { operation: 'seed.check' });
  if (loaded.rowCount > 0) {
    throw new ValidationError(
      'seed',
      `seed "${seed}" is already loaded in this database; choose another seed`,
    );
  }
  // Start times reach back `months` × 30 days, which can touch one more calendar month.
  for (const table of SEEDED_PARTITIONED_TABLES) {
    await db.query(CREATE_PARTITIONS, [table, options.months + 1], { operation: 'seed.partitions' });
  }
  await runJobs(jobs('auth.tenants', SEED_TENANTS, options.tenants, 10_000), 1, execute);
  const usersStep = Math.max(1, Math.floor(100_000 / options.usersPerTenant));
  await runJobs(jobs('public.users', SEED_USERS, options.tenants, usersStep), 1, execute);
  await runJobs(jobs('public.sessions', SEED_SESSIONS, options.sessions, 100_000), 1, execute);
  // Task batches run one at a time: the aggregate trigger of concurrent batches would update the
  // same daily rows in different orders and could deadlock.
  await runJobs(jobs('public.task_executions', SEED_TASKS, options.tasks, batch), 1, execute);
  rows['public.task_execution_keys'] = rows['public.task_executions'] ?? 0;
  // The per-task children have no triggers besides key checks, so their batches run side by side.
  const children = [
    ...jobs('public.event_logs', SEED_EVENTS, options.tasks, batch, options.eventsPerTask),
    ...jobs('public.token_usage', SEED_TOKEN_USAGE, options.tasks, batch, options.tokenUsagePerTask),
    ...jobs(
      'public.agent_executions',
      SEED_AGENT_EXECUTIONS,
      options.tasks,
      batch,
      options.agentExecutionsPerTask,
    ),
    ...jobs(
      'public.tool_executions',
      SEED_TOOL_EXECUTIONS,
      options.tasks,
      batch,
      options.agentExecutionsPerTask,
      options.toolExecutionsPerAgent,
    ),
  ];
  await runJobs(children, options.concurrency ?? DEFAULT_SEED_CONCURRENCY, execute);
  // Fresh statistics so plans on the seeded data are the plans production would get.
  await db.query(`ANALYZE ${SEEDED_TABLES.join(', ')}`, [], {
    operation: 'seed.analyze',
    timeoutMs: BATCH_TIMEOUT_MS,
  });
  return { rows, durationMs: Math.round(performance.now() - startedAt) };
}
