/**
 * The defaults of the development commands (`bench …`, `demo`, `seed`), kept apart from their
 * engines: the CLI shows them in its help while loading the engines only when a command runs. This
 * module imports nothing, so loading it eagerly costs nothing (test/unit/import-boundaries.test.ts).
 */

/** `bench ingest`: rows per phase. */
export const DEFAULT_BENCH_INGEST_ROWS = 100_000;
/** `bench http`: seconds per phase. */
export const DEFAULT_BENCH_DURATION_SECONDS = 10;
/** `bench http`: concurrent connections (and library writers). */
export const DEFAULT_BENCH_CONNECTIONS = 8;
/** `bench http`: records per ingest batch. */
export const DEFAULT_BENCH_BATCH = 100;
/** `bench queries`: timed runs per query, after DEFAULT_BENCH_WARMUP untimed ones. */
export const DEFAULT_BENCH_ITERATIONS = 200;
/** `bench queries`: untimed runs per query before timing. */
export const DEFAULT_BENCH_WARMUP = 10;
/** `demo`: tasks to simulate. */
export const DEFAULT_DEMO_TASKS = 12;
/** `seed`: tasks per INSERT batch: about 250k event rows per statement at 12.5 events per task. */
export const DEFAULT_SEED_BATCH_TASKS = 20_000;
/** `seed`: child-row batches in flight at once; needs a pool-backed Queryable to run in parallel. */
export const DEFAULT_SEED_CONCURRENCY = 2;
/** `seed`: average events per task when neither --events nor --events-per-task is given. */
export const DEFAULT_SEED_EVENTS_PER_TASK = 12.5;

/** What `bench memory` counts as met. */
export interface MemoryBenchTargets {
  recall_at_10: number;
  speedup_vs_exact: number;
}

/** `bench memory`: recall@10 of 0.95 and 10× over exact search, what HNSW should give on 100k × 768. */
export const DEFAULT_MEMORY_TARGETS: Readonly<MemoryBenchTargets> = {
  recall_at_10: 0.95,
  speedup_vs_exact: 10,
};
