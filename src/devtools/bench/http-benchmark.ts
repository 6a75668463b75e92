/**
 * `bench http`: batch ingest through the HTTP endpoint and through the library in the same run
 * and process (records/s, and their ratio), then p50/p99 of a task listing and a memory search
 * under concurrent load. autocannon drives the HTTP side over loopback; it shares the CPU with
 * the server, so the ratio is a lower bound for a separate client machine.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import type Autocannon from 'autocannon';
import { createApiKey } from '../../auth/api-keys.js';
import { createTenant } from '../../auth/tenants.js';
import type { DataLayer } from '../../data-layer.js';
import { ShannonError } from '../../errors/errors.js';
import type { RecordOf } from '../../ingest/record-schemas.js';
import { createServer } from '../../server/create-server.js';
import {
  DEFAULT_BENCH_BATCH,
  DEFAULT_BENCH_CONNECTIONS,
  DEFAULT_BENCH_DURATION_SECONDS,
} from '../devtools-defaults.js';

type AutocannonRunner = typeof Autocannon;

/**
 * Loads autocannon, a development dependency, when the benchmark runs; `load` is replaceable for
 * tests. @throws ShannonError PACKAGE_MISSING when it is not installed (`npm ci --omit=dev`).
 */
export async function loadAutocannon(
  load: () => Promise<{ default: AutocannonRunner }> = () => import('autocannon'),
): Promise<AutocannonRunner> {
  try {
    return (await load()).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ShannonError(
      'PACKAGE_MISSING',
      '`bench http` needs autocannon, a development dependency that is not installed: install the development dependencies (npm ci or npm install, without --omit=dev)',
      { cause: error, details: { package: 'autocannon' } },
    );
  }
}

export interface HttpBenchmarkOptions {
  durationSeconds?: number;
  connections?: number;
  batch?: number;
  onPhase?: (phase: string) => void;
}

export interface LatencyFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export interface HttpBenchmarkResult {
  durationSeconds: number;
  connections: number;
  batch: number;
  ingest: {
    library: { recordsPerSecond: number };
    http: { recordsPerSecond: number } & LatencyFigures;
  };
  ratio_http_vs_library: number;
  taskList: LatencyFigures;
  memorySearch: LatencyFigures;
  machine: { cpus: number; node: string };
}

/** Records with cheap unique keys (a counter), so key generation costs the same on both sides. */
function eventBatcher(run: string) {
  let next = 0;
  return (size: number) =>
    Array.from({ length: size }, () => {
      next += 1;
      const key = `${run}-${next}`;
      return { workflow_id: `bench-${run}`, type: 'BENCH', message: key, idempotency_key: key };
    });
}

/** Ingest phases alternate between library and HTTP, so load drift on a shared machine hits both. */
const INGEST_SLICES = 4;

function figures(r: Autocannon.Result): LatencyFigures {
  return {
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/** Runs the benchmark against a completed data layer (writes under a fresh `bench-http-*` tenant). */
export async function runHttpBenchmark(
  served: DataLayer,
  options: HttpBenchmarkOptions = {},
): Promise<HttpBenchmarkResult> {
  const duration = options.durationSeconds ?? DEFAULT_BENCH_DURATION_SECONDS;
  const connections = options.connections ?? DEFAULT_BENCH_CONNECTIONS;
  const batch = options.batch ?? DEFAULT_BENCH_BATCH;
  const autocannon = await loadAutocannon();
  const run = randomUUID().slice(0, 8);
  const tenant = await createTenant(served.db, {
    slug: `bench-http-${run}`,
    rateLimitPerHour: 2_000_000_000,
  });
  const { key } = await createApiKey(served.db, { tenantId: tenant.id, name: 'bench http' });
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  const eventBatch = eventBatcher(run);
  const app = await createServer(served, { logger: false });
  try {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const sliceSeconds = Math.max(1, duration / INGEST_SLICES);
    let libraryRecords = 0;
    let httpBatches = 0;
    let librarySeconds = 0;
    let httpSeconds = 0;
    let ingestRun: Autocannon.Result | undefined;
    for (let slice = 0; slice < INGEST_SLICES; slice += 1) {
      // Library: the same batches through ingest.writeBatch with the same concurrency.
      options.onPhase?.(`ingest slice ${slice + 1}/${INGEST_SLICES}: library`);
      const started = performance.now();
      const until = Date.now() + sliceSeconds * 1000;
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (Date.now() < until) {
            const records = eventBatch(batch).map((r) => ({ ...r, tenant_id: tenant.id }));
            const results = await served.ingest.writeBatch('event_log', records);
            libraryRecords += results.filter((x) => x.outcome !== 'rejected').length;
          }
        }),
      );
      librarySeconds += (performance.now() - started) / 1000;
      options.onPhase?.(`ingest slice ${slice + 1}/${INGEST_SLICES}: http`);
      const sliceRun = await autocannon({
        url: address,
        connections,
        duration: sliceSeconds,
        requests: [
          {
            method: 'POST',
            path: '/v1/ingest/event_log',
            headers: auth,
            setupRequest: (req) => ({ ...req, body: JSON.stringify({ records: eventBatch(batch) }) }),
          },
        ],
      });
      httpBatches += sliceRun['2xx'];
      httpSeconds += sliceRun.duration;
      // Latency figures: the slice with the worst p99.
      if (ingestRun === undefined || sliceRun.latency.p99 > ingestRun.latency.p99) ingestRun = sliceRun;
    }
    const libraryRate = libraryRecords / librarySeconds;
    const httpRate = (httpBatches * batch) / httpSeconds;

    // Data for the read phases: tasks to list and points to search.
    options.onPhase?.('seeding reads');
    const tasks = Array.from(
      { length: 500 },
      (_, i): RecordOf<'task_execution'> => ({
        workflow_id: `bench-${run}-${i}`,
        query: `benchmark task ${i}`,
        status: i % 3 === 0 ? 'COMPLETED' : 'RUNNING',
        tenant_id: tenant.id,
      }),
    );
    for (let i = 0; i < tasks.length; i += 100)
      await served.ingest.writeBatch('task_execution', tasks.slice(i, i + 100));
    const dim = served.config.vectorDimension;
    const vector = (seed: number) => Array.from({ length: dim }, (_, j) => Math.sin(seed * 31 + j));
    for (let i = 0; i < 1000; i += 200) {
      await served.memory.upsert(
        tenant.id,
        'task_embeddings',
        Array.from({ length: 200 }, (_, j) => ({
          key: [run, i + j],
          vector: vector(i + j),
          payload: { session_id: `s${(i + j) % 10}` },
        })),
      );
    }
    await served.memory.flush({ timeoutMs: 60_000 });

    options.onPhase?.('task listing under load');
    const listRun = await autocannon({
      url: `${address}/v1/tasks?limit=20`,
      connections,
      duration,
      headers: auth,
    });
    options.onPhase?.('memory search under load');
    const searchRun = await autocannon({
      url: `${address}/v1/memory/task_embeddings/search`,
      method: 'POST',
      connections,
      duration,
      headers: auth,
      body: JSON.stringify({ vector: vector(7), limit: 10 }),
    });
    return {
      durationSeconds: duration,
      connections,
      batch,
      ingest: {
        library: { recordsPerSecond: Math.round(libraryRate) },
        http: { recordsPerSecond: Math.round(httpRate), ...figures(ingestRun!) },
      },
      ratio_http_vs_library: libraryRate === 0 ? 0 : Math.round((httpRate / libraryRate) * 1000) / 1000,
      taskList: figures(listRun),
      memorySearch: figures(searchRun),
      machine: { cpus: cpus().length, node: process.version },
    };
  } finally {
    await app.close();
  }
}
