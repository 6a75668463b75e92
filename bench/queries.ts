/**
 * Hot-query benchmark runner: `npx tsx bench/queries.ts [--tasks N] [--iterations N] [--warmup N]
 * [--only T5,U4] [--keep] [--json]`. Creates a scratch database on the server of DATABASE_URL
 * (default: the local test server), migrates and seeds it with the acceptance data set (scaled by
 * --tasks), prints p50/p95 per hot query and drops the database (unless --keep). Against an existing
 * database use `shannon-data bench queries` instead.
 */
import { parseArgs } from 'node:util';
import { formatQueryBenchmark } from '../src/cli/commands/bench-queries.js';
import { runQueryBenchmark } from '../src/devtools/bench/query-benchmark.js';
import { seedDatabase } from '../src/devtools/seed/seed-database.js';
import { HOT_QUERY_DATA_SET } from '../src/stores/hot-queries.js';
import { createScratchDatabase } from './scratch-database.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: String(HOT_QUERY_DATA_SET.tasks) },
    iterations: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '10' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

const scratch = await createScratchDatabase('queries', 4);
const { db } = scratch;
log(`database ${scratch.name}`);
try {
  const tasks = Number(values.tasks);
  const scale = tasks / HOT_QUERY_DATA_SET.tasks;
  const seeded = await seedDatabase(db, {
    ...HOT_QUERY_DATA_SET,
    tasks,
    sessions: Math.max(1, Math.round(HOT_QUERY_DATA_SET.sessions * scale)),
    onProgress: (p) => log(`seed ${p.table} ${p.done}/${p.total}`),
  });
  const seedLine = `seeded ${tasks} tasks, ${seeded.rows['public.event_logs'] ?? 0} events in ${seeded.durationMs} ms`;
  log(seedLine);
  const result = await runQueryBenchmark(db, {
    iterations: Number(values.iterations),
    warmup: Number(values.warmup),
    ...(values.only === undefined ? {} : { only: values.only.split(',') }),
    onProgress: (done, total) => log(`queries ${done}/${total}`),
  });
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ seeded: seedLine, ...result }, null, 2)}\n`
      : `${formatQueryBenchmark(result, seedLine)}\n`,
  );
} finally {
  await scratch.finish(values.keep);
  if (values.keep) log(`kept database ${scratch.name}`);
}
