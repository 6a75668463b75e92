/**
 * A write-path process for the process-level fault tests (test/fault/ingest-process-faults.test.ts).
 * Reads one JSON record per stdin line and writes it as an event_log; prints `A <key> <outcome>` once a
 * record is acknowledged and `R <key> <code>` when it is refused. SIGTERM runs close() and exits 0.
 * Env: CHILD_DATABASE_URL, CHILD_DATA_DIR, CHILD_CLOSE_TIMEOUT_MS, CHILD_DRAIN=1 (replay the spool
 * empty before closing at end of input).
 */
import { createInterface } from 'node:readline';
import { toShannonError } from '../../src/errors/errors.js';
import { createIngest } from '../../src/ingest/ingest.js';
import type { RecordOf } from '../../src/ingest/record-schemas.js';
import { PostgresRecordWriter } from '../../src/ingest/record-writer.js';
import { Database } from '../../src/postgres/database.js';
import { testPoolConfig } from './database.js';

const env = process.env;
const db = new Database({
  connectionString: env['CHILD_DATABASE_URL']!,
  pool: testPoolConfig({ max: 3, queryTimeoutMs: 3_000, connectTimeoutMs: 1_000 }),
  name: 'child',
  breakerFailureThreshold: 3,
  breakerHalfOpenAfterMs: 200,
});
const ingest = await createIngest({
  writer: new PostgresRecordWriter(db),
  dataDir: env['CHILD_DATA_DIR']!,
  replayIntervalMs: 100,
});
const closeTimeoutMs = Number(env['CHILD_CLOSE_TIMEOUT_MS'] ?? 5_000);
const out = (line: string) => process.stdout.write(`${line}\n`);
const writes = new Set<Promise<void>>();
let closing = false;

async function shutdown(reason: string): Promise<never> {
  closing = true;
  await ingest.close({ timeoutMs: closeTimeoutMs });
  await Promise.race([db.close(), new Promise((r) => setTimeout(r, 1_000))]);
  // Printed once close() resolved: from here on every acknowledged record is committed or spooled.
  // Exit only after stdout took every line (process.exit drops writes still buffered for a pipe).
  process.stdout.write(`${reason}\n`, () => process.exit(0));
  return new Promise<never>(() => undefined);
}

process.on('SIGTERM', () => void shutdown('CLOSED'));

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (closing || line.trim() === '') return;
  const record = JSON.parse(line) as Record<string, unknown>;
  const key = String(record['idempotency_key']);
  const p: Promise<void> = ingest
    .write('event_log', record as RecordOf<'event_log'>) // a line of stdin: the write path validates it
    .then((r) => void out(`A ${key} ${r.outcome}`))
    .catch((e: unknown) => void out(`R ${key} ${toShannonError(e).code}`))
    .finally(() => {
      writes.delete(p);
    });
  writes.add(p);
});
lines.on('close', async () => {
  while (writes.size > 0) await Promise.all([...writes]);
  if (env['CHILD_DRAIN'] === '1') {
    while (ingest.stats().spool.segments > 0) {
      await ingest.replay();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await shutdown('DONE');
});
out('READY');
