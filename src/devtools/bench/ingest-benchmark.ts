/**
 * The write-path benchmark (`shannon-data bench ingest`, bench/ingest.ts). On one table
 * (public.event_logs, with its real indexes) and in one run it measures rows/s of: a raw COPY (the
 * limit: the faster of one and two parallel streams), COPY in the write path's batch size, COPY into
 * a staging table + INSERT … SELECT ON CONFLICT and INSERT … SELECT FROM unnest … ON CONFLICT (the
 * two bulk-upsert shapes; these three with 1,000-row batches on two connections), this write path
 * with durable acknowledgements, and one INSERT per row (the original's pattern); then the p99
 * acknowledgement latency at half the write path's rate, how fast the replayer drains a spool
 * left by an earlier run, and how fast it drains one while new writes arrive at half the write
 * path's rate (which then go directly to PostgreSQL). Each phase writes under a tenant of its own; its rows are deleted and the
 * table vacuumed before the next phase, so every phase starts from the same table.
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ShannonError } from '../../errors/errors.js';
import { createIngest, type Ingest } from '../../ingest/ingest.js';
import { INSERT_STATEMENTS } from '../../ingest/sql/insert-statements.js';
import { createMetrics } from '../../observability/metrics.js';
import type { Database } from '../../postgres/database.js';
import { DEFAULT_BENCH_INGEST_ROWS } from '../devtools-defaults.js';
import {
  BATCH_ROWS,
  batched,
  COLUMNS,
  copyRows,
  eventRecord,
  halves,
  makeRows,
  percentile,
  type Row,
  timed,
  unnestParams,
  withClients,
} from './ingest-benchmark-rows.js';
import { leaveSpool, replayUnderLoad } from './spool-replay-phases.js';

export interface IngestBenchmarkResult {
  table: string;
  rows: number;
  /** Phases that COPY into the table are null when the role may not (see `copyRefused`). */
  rowsPerSecond: {
    copyOneStream: number | null;
    copyTwoStreams: number | null;
    copy: number | null;
    copyBatches: number | null;
    stagingCopyUpsert: number;
    unnestUpsert: number;
    writePath: number;
    rowByRow: number;
  };
  rowByRowSample: number;
  /** Null when raw COPY could not be measured by this role. */
  ratio_vs_copy: number | null;
  ratio_vs_row_by_row: number;
  p99AckMsAtHalfRate: number;
  halfRateRowsPerSecond: number;
  /** Rows/s of draining a spool of `rows` records left by an earlier run (the replayer, at the write path's concurrency). */
  replayRowsPerSecond: number;
  /** The same spool drained by a new instance while a load generator writes at `halfRateRowsPerSecond`. */
  replayUnderLoadRowsPerSecond: number;
  /** Rows/s of the load's records committed directly, of those sent while the spool drained. */
  directRowsPerSecondDuringReplay: number;
  /** From the new instance's start until its spool was empty. */
  replayUnderLoadDrainMs: number;
  /** Records of the load that went to the spool instead (0 while the database answers). */
  replayUnderLoadSpooledRecords: number;
  /**
   * Batches the write path wrote by upsert after a failed COPY, by reason. `not_permitted` means the
   * connecting role is subject to row-level security, so the write path could not use COPY at all.
   */
  writePathCopyFallbacks: Record<string, number>;
  /**
   * Why the COPY phases were skipped: PostgreSQL refuses COPY FROM into a table whose row-level
   * security applies to the connecting role (a non-superuser owner without BYPASSRLS).
   */
  copyRefused?: string;
}

/**
 * Undefined when the connecting role may COPY into public.event_logs, else why not: PostgreSQL
 * refuses COPY FROM into a table whose row-level security applies to the role (a non-superuser
 * owner, FORCE ROW LEVEL SECURITY).
 */
async function copyRefusal(db: Database): Promise<string | undefined> {
  const { rows } = await db.query<{ role: string; may_copy: boolean }>(
    'SELECT current_user AS role, rolsuper OR rolbypassrls AS may_copy FROM pg_roles WHERE rolname = current_user',
    [],
    { operation: 'bench.may_copy' },
  );
  if (rows[0]?.may_copy === true) return undefined;
  const role = rows[0]?.role ?? 'the connecting role';
  return `PostgreSQL refuses COPY into public.event_logs to ${role} under row-level security (it is neither a superuser nor BYPASSRLS): the COPY phases are skipped and the write path writes by upsert; run the benchmark as a role with BYPASSRLS to measure both (docs/write-path.md)`;
}

export interface IngestBenchmarkOptions {
  /**
   * URL of `db`'s database, as the same role: the phases that write without the write path (raw
   * COPY, staging and unnest upserts, one INSERT per row) hold connections of their own.
   */
  connectionString: string;
  /** Rows per phase; default DEFAULT_BENCH_INGEST_ROWS. */
  rows?: number;
  onProgress?: (phase: string) => void;
}

/** Raw connections for the phases outside the write path: two streams at most. */
const RAW_POOL_MAX = 2;

/** Runs every phase on `db` (owner connection). Takes about rows / 10 k seconds on a 2-core box. */
export async function runIngestBenchmark(
  db: Database,
  options: IngestBenchmarkOptions,
): Promise<IngestBenchmarkResult> {
  const n = options.rows ?? DEFAULT_BENCH_INGEST_ROWS;
  const copyRefused = await copyRefusal(db);
  /** Runs a COPY phase when the role may COPY; its time in seconds, or null. */
  const copyPhase = async (name: string, run: (rows: Row[]) => Promise<void>): Promise<number | null> => {
    if (copyRefused !== undefined) return null;
    progress(name);
    const rows = makeRows(await tenant(), n);
    return timed(() => run(rows));
  };
  const progress = options.onProgress ?? (() => undefined);
  const tenants: string[] = [];
  /**
   * Deletes the rows of the phases so far (with their tenants) and vacuums the table, so every
   * phase starts from the same table: the one the benchmark found. Without it each phase would
   * write into the rows of all earlier ones, and the later phases would run on a larger table.
   */
  async function removePhaseRows(): Promise<void> {
    if (tenants.length === 0) return;
    for (const id of tenants.splice(0))
      await db.query('DELETE FROM auth.tenants WHERE id = $1', [id], {
        operation: 'bench.cleanup',
        timeoutMs: 600_000,
      });
    await db.query('VACUUM public.event_logs', [], { operation: 'bench.vacuum', timeoutMs: 600_000 });
  }
  /** A scratch tenant for the next phase, on a table reset by removePhaseRows. */
  async function tenant(): Promise<string> {
    await removePhaseRows();
    const slug = `bench-ingest-${randomUUID().slice(0, 8)}`;
    const { rows } = await db.query<{ id: string }>(
      'INSERT INTO auth.tenants (name, slug) VALUES ($1, $1) RETURNING id',
      [slug],
      { operation: 'bench.tenant' },
    );
    tenants.push(rows[0]!.id);
    return rows[0]!.id;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'shannon-bench-ingest-'));
  const raw = new pg.Pool({
    connectionString: options.connectionString,
    max: RAW_POOL_MAX,
    application_name: 'shannon-data-bench',
  });
  // An idle client whose server goes away emits 'error'; the next phase reports the failure.
  raw.on('error', () => undefined);
  try {
    const copyOneS = await copyPhase('copy, one stream', (rows) =>
      withClients(raw, 1, ([c]) => copyRows(c!, 'public.event_logs', rows)),
    );
    const copyTwoS = await copyPhase('copy, two streams', (rows) =>
      withClients(raw, 2, (cs) =>
        Promise.all(halves(rows, 2).map((part, i) => copyRows(cs[i]!, 'public.event_logs', part))).then(
          () => undefined,
        ),
      ),
    );
    const copyBatchedS = await copyPhase('COPY in 1,000-row batches', (rows) =>
      withClients(raw, 2, (cs) => batched(cs, rows, (c, batch) => copyRows(c, 'public.event_logs', batch))),
    );

    progress('staging COPY + INSERT … SELECT ON CONFLICT');
    const staged = makeRows(await tenant(), n);
    const stagedS = await timed(() =>
      withClients(raw, 2, (cs) =>
        batched(cs, staged, async (c, batch) => {
          await c.query('BEGIN');
          await c.query(
            'CREATE TEMP TABLE IF NOT EXISTS bench_event_stage (LIKE public.event_logs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS',
          );
          await copyRows(c, 'bench_event_stage', batch);
          await c.query(
            `INSERT INTO public.event_logs (${COLUMNS}) SELECT ${COLUMNS} FROM bench_event_stage ON CONFLICT DO NOTHING`,
          );
          await c.query('COMMIT');
        }),
      ),
    );

    progress('INSERT … SELECT FROM unnest ON CONFLICT');
    const unnested = makeRows(await tenant(), n);
    const unnestS = await timed(() =>
      withClients(raw, 2, (cs) =>
        batched(cs, unnested, async (c, batch) => {
          await c.query(INSERT_STATEMENTS.event_log.upsertText, unnestParams(batch));
        }),
      ),
    );

    progress('write path, durable acknowledgements');
    const viaPath = makeRows(await tenant(), n);
    const records = viaPath.map(eventRecord);
    const metrics = createMetrics();
    const ingest = await createIngest({ db, dataDir, metrics });
    let pathS: number;
    let p99 = 0;
    let halfRate = 0;
    try {
      pathS = await timed(async () => {
        const inFlight = new Set<Promise<unknown>>();
        for (let i = 0; i < records.length; i += BATCH_ROWS) {
          const p = ingest.writeBatch('event_log', records.slice(i, i + BATCH_ROWS));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
          if (inFlight.size >= 8) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      });

      progress('acknowledgement latency at half rate');
      halfRate = n / pathS / 2;
      const latencyRows = makeRows(await tenant(), Math.min(n, Math.max(1_000, Math.round(halfRate * 5))));
      const latencies: number[] = [];
      const started = performance.now();
      const pending: Promise<void>[] = [];
      for (let i = 0; i < latencyRows.length; i += 1) {
        const due = started + (i / halfRate) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const r = latencyRows[i]!;
        const t0 = performance.now();
        pending.push(
          ingest
            .write('event_log', {
              tenant_id: r.tenant,
              idempotency_key: r.key,
              workflow_id: r.workflow,
              type: r.type,
              message: r.message,
              created_at: r.at,
            })
            .then(() => {
              latencies.push(performance.now() - t0);
            }),
        );
      }
      await Promise.all(pending);
      p99 = percentile(
        latencies.sort((a, b) => a - b),
        99,
      );
    } finally {
      await ingest.close();
    }

    progress('replay of a spool');
    const replayDir = join(dataDir, 'replay');
    await leaveSpool(replayDir, makeRows(await tenant(), n));
    let replayIngest: Ingest | undefined;
    const replayS = await timed(async () => {
      // Opening the write path starts the replay of what the spool holds; replay() joins that pass.
      replayIngest = await createIngest({ db, dataDir: replayDir, replayIntervalMs: 3_600_000 });
      await replayIngest.replay();
    });
    const left = replayIngest!.stats().spool.records;
    await replayIngest!.close();
    if (left > 0) throw new ShannonError('INTERNAL', `bench: the replay left ${left} records in the spool`);

    progress('replay of a spool under load');
    const underLoad = await replayUnderLoad(
      db,
      join(dataDir, 'replay-under-load'),
      await tenant(),
      n,
      Math.max(1, halfRate),
    );

    progress('one INSERT per row');
    const sample = Math.min(n, 5_000);
    const single = makeRows(await tenant(), sample);
    const singleS = await timed(() =>
      withClients(raw, 1, async ([c]) => {
        for (const r of single) {
          await c!.query({
            name: 'bench_single_insert',
            text: `INSERT INTO public.event_logs (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            values: [r.tenant, r.key, r.workflow, r.type, r.agent, r.message, r.payload, r.at, r.seq, r.at],
          });
        }
      }),
    );

    const writePathCopyFallbacks: Record<string, number> = {};
    for (const v of (await metrics.ingestCopyFallbacks.get()).values) {
      const reason = String(v.labels['reason']);
      writePathCopyFallbacks[reason] = (writePathCopyFallbacks[reason] ?? 0) + v.value;
    }
    const rate = (rows: number, s: number) => Math.round(rows / s);
    const rateOrNull = (s: number | null) => (s === null ? null : rate(n, s));
    const copyOne = rateOrNull(copyOneS);
    const copyTwo = rateOrNull(copyTwoS);
    const copy = copyOne === null || copyTwo === null ? null : Math.max(copyOne, copyTwo);
    const writePath = rate(n, pathS);
    const rowByRow = rate(sample, singleS);
    return {
      table: 'public.event_logs',
      rows: n,
      rowsPerSecond: {
        copyOneStream: copyOne,
        copyTwoStreams: copyTwo,
        copy,
        copyBatches: rateOrNull(copyBatchedS),
        stagingCopyUpsert: rate(n, stagedS),
        unnestUpsert: rate(n, unnestS),
        writePath,
        rowByRow,
      },
      rowByRowSample: sample,
      ratio_vs_copy: copy === null ? null : Math.round((writePath / copy) * 100) / 100,
      ratio_vs_row_by_row: Math.round((writePath / rowByRow) * 10) / 10,
      p99AckMsAtHalfRate: Math.round(p99 * 10) / 10,
      halfRateRowsPerSecond: Math.round(halfRate),
      replayRowsPerSecond: rate(n, replayS),
      replayUnderLoadRowsPerSecond: rate(n, underLoad.replayS),
      directRowsPerSecondDuringReplay: rate(underLoad.direct, underLoad.replayS),
      replayUnderLoadDrainMs: Math.round(underLoad.replayS * 1000),
      replayUnderLoadSpooledRecords: underLoad.spooled,
      writePathCopyFallbacks,
      ...(copyRefused === undefined ? {} : { copyRefused }),
    };
  } finally {
    progress('cleaning up');
    try {
      await removePhaseRows();
    } finally {
      await raw.end();
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

function describeFallbacks(fallbacks: Record<string, number>): string {
  if ((fallbacks['not_permitted'] ?? 0) > 0)
    return 'by upsert: this role may not COPY into tables with row-level security';
  const n = Object.values(fallbacks).reduce((a, b) => a + b, 0);
  return n === 0 ? 'by COPY' : `by COPY, ${n} batches by upsert after a failed COPY`;
}

/** Human rendering of a result. */
export function formatIngestBenchmark(r: IngestBenchmarkResult): string {
  const s = r.rowsPerSecond;
  const rate = (label: string, value: number | null) =>
    `${label.padEnd(34)}${value === null ? '     n/a' : String(value).padStart(8)} rows/s`;
  return [
    `write-path benchmark on ${r.table}, ${r.rows} rows per phase (row-by-row: ${r.rowByRowSample})`,
    ...(r.copyRefused === undefined ? [] : [`note: ${r.copyRefused}`]),
    rate('raw COPY, 1 stream', s.copyOneStream),
    rate('raw COPY, 2 streams', s.copyTwoStreams),
    rate('COPY, 1,000-row batches (2 conns)', s.copyBatches),
    rate('staging COPY + upsert (2 conns)', s.stagingCopyUpsert),
    rate('unnest upsert (2 conns)', s.unnestUpsert),
    `${rate('write path, durable acks', s.writePath)}  (${describeFallbacks(r.writePathCopyFallbacks)})`,
    rate('one INSERT per row', s.rowByRow),
    `ratio vs COPY ${r.ratio_vs_copy ?? 'n/a'}  (target >= 0.6)   ratio vs row-by-row ${r.ratio_vs_row_by_row}  (target >= 10)`,
    `p99 acknowledgement latency at ${r.halfRateRowsPerSecond} rows/s (half the write path's rate): ${r.p99AckMsAtHalfRate} ms`,
    `replay of a spool of ${r.rows} records left by an earlier run: ${r.replayRowsPerSecond} rows/s`,
    `replay of the same spool while new writes arrive at ${r.halfRateRowsPerSecond} rows/s: ${r.replayUnderLoadRowsPerSecond} rows/s, drained in ${r.replayUnderLoadDrainMs} ms; new writes committed directly at ${r.directRowsPerSecondDuringReplay} rows/s (${r.replayUnderLoadSpooledRecords} spooled)`,
  ].join('\n');
}
