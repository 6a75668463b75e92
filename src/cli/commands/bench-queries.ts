/**
 * `shannon-data bench queries [--tasks N] [--iterations N] [--json]`: p50/p95 of every hot query
 * (SPEC §4.3) on the configured database. An empty database (no tasks) is first seeded with the
 * acceptance data set, scaled by --tasks; a database with data is measured as it is.
 */
import { Command } from 'commander';
import type { QueryBenchmarkResult } from '../../devtools/bench/query-benchmark.js';
import { DEFAULT_BENCH_ITERATIONS, DEFAULT_BENCH_WARMUP } from '../../devtools/devtools-defaults.js';
import { ValidationError } from '../../errors/errors.js';
import { HOT_QUERY_DATA_SET } from '../../stores/hot-queries.js';
import type { CliContext } from '../cli-context.js';

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new ValidationError(flag, `${flag} must be a non-negative integer`);
  return n;
}

/** Human rendering: one line per query with p50/p95/max and the indexes of its plan. */
export function formatQueryBenchmark(r: QueryBenchmarkResult, seeded: string): string {
  const lines = [seeded, `${r.iterations} timed runs per query (ms, client-side, tenant transaction)`];
  lines.push(`${'query'.padEnd(12)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)}  indexes`);
  for (const q of r.results) {
    lines.push(
      `${q.id.padEnd(12)} ${q.p50Ms.toFixed(3).padStart(8)} ${q.p95Ms.toFixed(3).padStart(8)} ${q.maxMs
        .toFixed(3)
        .padStart(8)}  ${q.indexes.join(', ')}`,
    );
  }
  if (r.originals.length > 0) {
    lines.push('', "Shannon's original statements, same run (as the owner, no tenant context):");
    lines.push(
      `${'query'.padEnd(14)} ${'p50'.padStart(9)} ${'p95'.padStart(9)}  replaced by   speed-up (p50)`,
    );
    for (const o of r.originals) {
      lines.push(
        `${o.id.padEnd(14)} ${o.p50Ms.toFixed(3).padStart(9)} ${o.p95Ms.toFixed(3).padStart(9)}  ${o.replacedBy.padEnd(12)}  ${o.speedupP50 === null ? '-' : `${o.speedupP50}x`}  (${o.title})`,
      );
    }
  }
  return lines.join('\n');
}

export function benchQueriesCommand(ctx: CliContext): Command {
  return new Command('queries')
    .description('p50/p95 latency of every hot query (S*, T*, U*, E*, A*); seeds an empty database first')
    .option('--tasks <n>', 'tasks to seed into an empty database (events, sessions, usage scale with it)')
    .option('--iterations <n>', 'timed runs per query', String(DEFAULT_BENCH_ITERATIONS))
    .option('--warmup <n>', 'untimed runs per query before timing', String(DEFAULT_BENCH_WARMUP))
    .option('--only <ids>', 'comma-separated query id prefixes (e.g. T5,U4)')
    .option('--no-originals', "skip timing Shannon's original statements for comparison")
    .option('--json', 'print the result as JSON')
    .action(
      async (
        options: {
          tasks?: string;
          iterations: string;
          warmup: string;
          only?: string;
          originals: boolean;
          json?: boolean;
        },
        command: Command,
      ) => {
        const json = options.json === true;
        const tasks =
          options.tasks === undefined ? HOT_QUERY_DATA_SET.tasks : positiveInt('--tasks', options.tasks);
        const iterations = positiveInt('--iterations', options.iterations);
        const warmup = positiveInt('--warmup', options.warmup);
        // Loaded here, not at start-up: the benchmark and the seed generator are development tools.
        const { runQueryBenchmark } = await import('../../devtools/bench/query-benchmark.js');
        const { seedDatabase } = await import('../../devtools/seed/seed-database.js');
        const dataLayer = await ctx.openDataLayer(ctx.loadConfig(command));
        try {
          const { rows } = await dataLayer.db.query<{ n: string }>(
            'SELECT count(*) AS n FROM (SELECT 1 FROM public.task_executions LIMIT 1) x',
            [],
            { operation: 'bench.count' },
          );
          let seeded = 'measured on the data already in the database';
          if (Number(rows[0]?.n ?? 0) === 0) {
            const scale = tasks / HOT_QUERY_DATA_SET.tasks;
            const size = {
              ...HOT_QUERY_DATA_SET,
              tasks,
              sessions: Math.max(1, Math.round(HOT_QUERY_DATA_SET.sessions * scale)),
            };
            const bar = ctx.progress(json, 'seeding', tasks);
            const result = await seedDatabase(dataLayer.db, {
              ...size,
              onProgress: (p) => bar.update(p.done, p.total),
            });
            bar.stop();
            seeded = `seeded ${tasks} tasks, ${result.rows['public.event_logs'] ?? 0} events in ${result.durationMs} ms`;
          }
          const bar = ctx.progress(json, 'queries', 1);
          const result = await runQueryBenchmark(dataLayer.db, {
            iterations,
            warmup,
            originals: options.originals,
            ...(options.only === undefined ? {} : { only: options.only.split(',').map((s) => s.trim()) }),
            onProgress: (done, total) => bar.update(done, total),
          });
          bar.stop();
          ctx.output(json, { seeded, ...result }, () => formatQueryBenchmark(result, seeded));
        } finally {
          await dataLayer.close();
        }
      },
    );
}
