/**
 * Write-path benchmark runner: `npx tsx bench/ingest.ts [--rows N] [--keep] [--json]`. Creates a
 * scratch database on the server of DATABASE_URL (default: the local test server), migrates it, runs
 * the phases of src/devtools/bench/ingest-benchmark.ts (raw COPY with 1 and 2 streams, staging-COPY vs
 * unnest upserts, the write path with durable acknowledgements, one INSERT per row, p99 ack latency
 * at half rate) and drops the database (unless --keep). Against an existing database use
 * `shannon-data bench ingest` instead.
 */
import { parseArgs } from 'node:util';
import { formatIngestBenchmark, runIngestBenchmark } from '../src/devtools/bench/ingest-benchmark.js';
import { DEFAULT_BENCH_INGEST_ROWS } from '../src/devtools/devtools-defaults.js';
import { createScratchDatabase } from './scratch-database.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: String(DEFAULT_BENCH_INGEST_ROWS) },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

const scratch = await createScratchDatabase('ingest', 6);
const { db } = scratch;
log(`database ${scratch.name}`);
try {
  const result = await runIngestBenchmark(db, {
    connectionString: scratch.url,
    rows: Number(values.rows),
    onProgress: (phase) => log(`phase: ${phase}`),
  });
  process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : formatIngestBenchmark(result)}\n`);
} finally {
  await scratch.finish(values.keep);
  if (values.keep) log(`kept database ${scratch.name}`);
}
