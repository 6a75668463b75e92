/**
 * Vector memory benchmark runner: `npx tsx bench/memory.ts [--points N] [--dimension D]
 * [--queries Q] [--outbox-points M] [--json]`. The outbox part runs in a scratch database on
 * DATABASE_URL (default: the local test server) that is dropped afterwards.
 */
import { parseArgs } from 'node:util';
import { runMemoryBenchmark } from '../src/devtools/bench/memory-benchmark.js';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '100000' },
    dimension: { type: 'string', default: '768' },
    queries: { type: 'string', default: '1000' },
    'outbox-points': { type: 'string', default: '20000' },
    json: { type: 'boolean', default: false },
  },
});

const result = await runMemoryBenchmark({
  points: Number(values.points),
  dimension: Number(values.dimension),
  queries: Number(values.queries),
  outboxPoints: Number(values['outbox-points']),
  databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  onProgress: values.json
    ? undefined
    : (phase, done, total) => process.stderr.write(`\r${phase} ${done}/${total}   `),
});
if (!values.json) process.stderr.write('\n');
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
