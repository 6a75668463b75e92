/**
 * Fault tests of the write path against a test-owned PostgreSQL cluster (test/helpers/pg-cluster.ts):
 * - kill -9 of PostgreSQL 20 times during an ingest of 150,000 records: 0 acknowledged lost, 0 duplicated;
 * - PostgreSQL unreachable for 30 s during steady writes: acknowledged from the spool, drained after; 0 lost.
 * The client retries anything not acknowledged (backpressure) with the same keys, as a caller would.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createIngest, type Ingest } from '../../src/ingest/ingest.js';
import type { RecordOf } from '../../src/ingest/record-schemas.js';
import { PostgresRecordWriter } from '../../src/ingest/record-writer.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Database } from '../../src/postgres/database.js';
import { migrateUp } from '../../src/schema/migrator.js';
import { testPoolConfig } from '../helpers/database.js';
import { PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
let tenant: string;

before(async () => {
  cluster = await PgCluster.create();
  await cluster.query('CREATE DATABASE shannon');
  const client = new pg.Client({ connectionString: cluster.url('shannon') });
  await client.connect();
  try {
    await migrateUp(client);
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO auth.tenants (name, slug) VALUES ('fault', 'fault') RETURNING id`,
    );
    tenant = rows[0]!.id;
  } finally {
    await client.end();
  }
});

after(async () => {
  await cluster?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function openDatabase(): Database {
  return new Database({
    connectionString: cluster.url('shannon'),
    pool: testPoolConfig({ max: 4, queryTimeoutMs: 5_000, connectTimeoutMs: 2_000 }),
    name: 'fault',
    breakerFailureThreshold: 3,
    breakerHalfOpenAfterMs: 300,
  });
}

async function openIngest(db: Database, dataDir: string): Promise<Ingest> {
  return createIngest({
    writer: new PostgresRecordWriter(db),
    dataDir,
    metrics: createMetrics(),
    replayIntervalMs: 100,
    queue: { maxRecords: 20_000, maxWaitMs: 2_000 },
  });
}

function eventRecord(prefix: string, i: number, createdAt: string): RecordOf<'event_log'> {
  return {
    tenant_id: tenant,
    idempotency_key: `${prefix}-${i}`,
    created_at: createdAt,
    workflow_id: `${prefix}-wf-${i % 97}`,
    type: 'FAULT_TEST',
    message: `record ${i}`,
  };
}

/** Writes records until every one is acknowledged, retrying the unacknowledged with the same keys. */
async function writeUntilAcked(ingest: Ingest, records: RecordOf<'event_log'>[], acked: Set<string>) {
  let pending = records;
  while (pending.length > 0) {
    let results: Awaited<ReturnType<Ingest['writeBatch']>>;
    try {
      results = await ingest.writeBatch('event_log', pending);
    } catch {
      await sleep(50); // backpressure: the whole call was refused; retry it
      continue;
    }
    const retry: RecordOf<'event_log'>[] = [];
    results.forEach((r, i) => {
      if (r.outcome === 'rejected') retry.push(pending[i]!);
      else acked.add(String(pending[i]!['idempotency_key']));
    });
    pending = retry;
    if (retry.length > 0) await sleep(50);
  }
}

async function waitForDrain(ingest: Ingest, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (ingest.stats().spool.segments > 0 || ingest.stats().queue.pendingRecords > 0) {
    if (Date.now() > deadline) throw new Error(`spool not drained: ${JSON.stringify(ingest.stats())}`);
    await ingest.replay();
    await sleep(100);
  }
}

async function verify(prefix: string, acked: Set<string>) {
  const rows = await cluster.query<{ idempotency_key: string; n: string }>(
    `SELECT idempotency_key, count(*) AS n FROM public.event_logs WHERE idempotency_key LIKE $1 GROUP BY 1`,
    [`${prefix}-%`],
    'shannon',
  );
  const stored = new Map(rows.map((r) => [r.idempotency_key, Number(r.n)]));
  const lost = [...acked].filter((k) => !stored.has(k));
  const duplicated = [...stored].filter(([, n]) => n > 1);
  return { lost: lost.length, duplicated: duplicated.length, stored: stored.size };
}

test('kill -9 of PostgreSQL 20 times during an ingest of 150,000 records: 0 lost, 0 duplicated', async () => {
  const N = 150_000;
  const CHUNK = 500;
  const dataDir = await mkdtemp(join(tmpdir(), 'ingest-kill-pg-'));
  const db = openDatabase();
  const ingest = await openIngest(db, dataDir);
  const acked = new Set<string>();
  const createdAt = new Date().toISOString();
  let kills = 0;
  let killerDone = false;
  const killer = (async () => {
    for (let i = 0; i < 20; i += 1) {
      await sleep(100 + Math.random() * 800);
      await cluster.kill9();
      kills += 1;
      await cluster.start();
    }
    killerDone = true;
  })();
  try {
    const writers: Promise<void>[] = [];
    for (let start = 0; start < N; start += CHUNK) {
      const chunk = Array.from({ length: Math.min(CHUNK, N - start) }, (_, j) =>
        eventRecord('kill', start + j, createdAt),
      );
      writers.push(writeUntilAcked(ingest, chunk, acked));
      if (writers.length >= 4) await writers.shift();
      // Pace the ingest so it outlasts the kill schedule (otherwise most kills land after it).
      if (!killerDone) await sleep(60);
    }
    const t0 = Date.now();
    await Promise.all(writers);
    const tWrites = Date.now();
    await killer;
    const tKiller = Date.now();
    await waitForDrain(ingest, 120_000);
    if (process.env['INGEST_FAULT_DEBUG'] === '1')
      console.log({
        writes: tWrites - t0,
        killer: tKiller - t0,
        drained: Date.now() - t0,
        stats: ingest.stats(),
      });
  } finally {
    // Also when something above failed: nothing may keep running after the test.
    await killer.catch(() => undefined);
    await ingest.close();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  const result = await verify('kill', acked);
  assert.equal(kills, 20);
  assert.equal(acked.size, N);
  assert.deepEqual(result, { lost: 0, duplicated: 0, stored: N });
});

test('PostgreSQL unreachable for 30 s during steady writes: acknowledged from the spool, then drained; 0 lost', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ingest-outage-'));
  const db = openDatabase();
  const ingest = await openIngest(db, dataDir);
  const acked = new Set<string>();
  const createdAt = new Date().toISOString();
  let i = 0;
  let stop = false;
  let ackedDuringOutage = 0;
  let outage = false;
  // Steady writes: 50 records every 100 ms (500 records/s) from one client.
  const writer = (async () => {
    while (!stop) {
      const chunk = Array.from({ length: 50 }, () => eventRecord('outage', i++, createdAt));
      const before = acked.size;
      await writeUntilAcked(ingest, chunk, acked);
      if (outage) ackedDuringOutage += acked.size - before;
      await sleep(100);
    }
  })();
  let spooled: number;
  try {
    await sleep(2_000);
    await cluster.stop();
    outage = true;
    await sleep(30_000);
    spooled = ingest.stats().spool.records;
    outage = false;
    await cluster.start();
    await sleep(2_000);
  } finally {
    // Also when the cluster failed to stop or start: the writer loop must end with the test.
    stop = true;
    await writer;
  }
  try {
    await waitForDrain(ingest, 60_000);
  } finally {
    await ingest.close();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  assert.ok(ackedDuringOutage >= 10_000, `only ${ackedDuringOutage} records acknowledged during the outage`);
  assert.ok(spooled > 0);
  const result = await verify('outage', acked);
  assert.deepEqual(result, { lost: 0, duplicated: 0, stored: acked.size });
});
