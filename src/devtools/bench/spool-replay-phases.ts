/**
 * The replay phases of the write-path benchmark (src/devtools/bench/ingest-benchmark.ts): a spool
 * left as an earlier write-path instance that could not write would leave it, and its drain by a
 * new instance while a load generator writes new rows.
 */
import { join } from 'node:path';
import { ShannonError } from '../../errors/errors.js';
import { createIngest } from '../../ingest/ingest.js';
import { Spool } from '../../ingest/spool.js';
import { validateRecord } from '../../ingest/validate-record.js';
import type { Database } from '../../postgres/database.js';
import { BATCH_ROWS, eventRecord, makeRows, type Row } from './ingest-benchmark-rows.js';

/** Leaves a spool of `rows` in `dataDir`, as an earlier write-path instance that could not write would. */
export async function leaveSpool(dataDir: string, rows: readonly Row[]): Promise<void> {
  const spool = await Spool.open({ dir: join(dataDir, 'spool') });
  for (let i = 0; i < rows.length; i += BATCH_ROWS)
    await spool.append(rows.slice(i, i + BATCH_ROWS).map((r) => validateRecord('event_log', eventRecord(r))));
  await spool.close();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A drain that takes longer than this is a fault, not a figure. */
const DRAIN_LIMIT_MS = 600_000;

/**
 * Starts a write-path instance on a spool of `spooled` rows while a load generator writes new rows
 * at `rate` rows/s (one writeBatch per 10 ms tick), until the spool is empty.
 */
export async function replayUnderLoad(
  db: Database,
  dataDir: string,
  tenant: string,
  spooled: number,
  rate: number,
): Promise<{ replayS: number; direct: number; spooled: number }> {
  await leaveSpool(dataDir, makeRows(tenant, spooled));
  const started = performance.now();
  const ingest = await createIngest({ db, dataDir });
  let direct = 0;
  let toSpool = 0;
  let sent = 0;
  let replayS = 0;
  const inFlight = new Set<Promise<void>>();
  try {
    for (;;) {
      if (ingest.stats().spool.segments === 0) {
        replayS = (performance.now() - started) / 1000;
        break;
      }
      if (performance.now() - started > DRAIN_LIMIT_MS)
        throw new ShannonError('INTERNAL', `bench: the spool did not drain within ${DRAIN_LIMIT_MS} ms`);
      // Rounded up, so the first tick sends a record at once.
      const due = Math.ceil(((performance.now() - started) / 1000) * rate) - sent;
      if (due > 0) {
        const rows = makeRows(tenant, due);
        sent += due;
        const p = ingest.writeBatch('event_log', rows.map(eventRecord)).then((results) => {
          for (const r of results) {
            if (r.outcome === 'committed') direct += 1;
            else if (r.outcome === 'spooled') toSpool += 1;
          }
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      if (inFlight.size >= 64) await Promise.race(inFlight);
      else await sleep(10);
    }
    // Only records sent while the spool drained are counted; they are all settled here.
    await Promise.all(inFlight);
    return { replayS, direct, spooled: toSpool };
  } finally {
    await Promise.allSettled(inFlight);
    await ingest.close();
  }
}
