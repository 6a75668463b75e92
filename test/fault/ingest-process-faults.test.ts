/**
 * Process-level fault tests of the write path, driving test/helpers/ingest-child.ts:
 * - kill -9 of the ingesting process 10 times; the client retries unacknowledged records with the same
 *   keys: 0 lost, 0 duplicated, spool drained after the last restart;
 * - SIGTERM during heavy flushing, 10 times: every acknowledged record is committed or spooled;
 * - fsync failures injected with fiu-run: no record whose fsync failed is acknowledged.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { Spool } from '../../src/ingest/spool.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';

let t: TestDatabase;
let tenant: string;
before(async () => {
  t = await createTestDatabase();
  tenant = await createTenant(t.db);
});
after(async () => {
  await t?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHILD = join(import.meta.dirname, '..', 'helpers', 'ingest-child.ts');

interface Child {
  proc: ChildProcess;
  acked: Set<string>;
  refused: Map<string, string>;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; lastLine: string }>;
}

function startChild(env: Record<string, string>, wrapper: string[] = []): Child {
  const command = wrapper.length > 0 ? wrapper[0]! : process.execPath;
  const args = [
    ...wrapper.slice(1),
    ...(wrapper.length > 0 ? [process.execPath] : []),
    '--import',
    'tsx',
    CHILD,
  ];
  const proc = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const acked = new Set<string>();
  const refused = new Map<string, string>();
  let lastLine = '';
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    lastLine = line;
    const [tag, key, detail] = line.split(' ');
    if (tag === 'READY') onReady();
    else if (tag === 'A') acked.add(key!);
    else if (tag === 'R') refused.set(key!, detail!);
  });
  proc.stdin!.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lastLine: string }>(
    // 'close', not 'exit': it fires after stdout is fully read, so no acknowledgement is missed.
    (resolve) => proc.on('close', (code, signal) => resolve({ code, signal, lastLine })),
  );
  return { proc, acked, refused, ready, exited };
}

function record(prefix: string, i: number, createdAt: string) {
  return {
    tenant_id: tenant,
    idempotency_key: `${prefix}-${i}`,
    created_at: createdAt,
    workflow_id: `${prefix}-wf`,
    type: 'PROCESS_FAULT',
    message: `record ${i}`,
  };
}

function send(child: Child, records: readonly object[]): void {
  child.proc.stdin!.write(`${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

async function stored(prefix: string): Promise<Map<string, number>> {
  const { rows } = await t.db.query<{ k: string; n: string }>(
    'SELECT idempotency_key AS k, count(*) AS n FROM public.event_logs WHERE idempotency_key LIKE $1 GROUP BY 1',
    [`${prefix}-%`],
  );
  return new Map(rows.map((r) => [r.k, Number(r.n)]));
}

async function spooledKeys(dataDir: string): Promise<Set<string>> {
  const keys = new Set<string>();
  const dir = join(dataDir, 'spool');
  if (!existsSync(dir)) return keys;
  const spool = await Spool.open({ dir });
  for (const name of spool.sealedSegments()) {
    for (const batch of (await spool.read(name)).batches) for (const r of batch) keys.add(r.key);
  }
  await spool.close();
  return keys;
}

async function segmentFiles(dataDir: string): Promise<string[]> {
  const dir = join(dataDir, 'spool');
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter((n) => n.endsWith('.log'));
}

test('kill -9 of the ingesting process 10 times, client retries with the same keys: 0 lost, 0 duplicated', async () => {
  const N = 20_000;
  const dataDir = await mkdtemp(join(tmpdir(), 'ingest-kill-proc-'));
  const createdAt = new Date().toISOString();
  const all = Array.from({ length: N }, (_, i) => record('pk', i, createdAt));
  const acked = new Set<string>();
  const env = { CHILD_DATABASE_URL: t.url, CHILD_DATA_DIR: dataDir, CHILD_DRAIN: '1' };
  let kills = 0;
  for (let round = 0; round <= 10; round += 1) {
    const child = startChild(env);
    await child.ready;
    // Unacknowledged records are sent again with the same keys (and the same created_at).
    const unacked = all.filter((r) => !acked.has(r.idempotency_key));
    for (let i = 0; i < unacked.length; i += 500) {
      send(child, unacked.slice(i, i + 500));
      if (round < 10) await sleep(5);
    }
    if (round < 10) {
      await sleep(100 + Math.random() * 400);
      child.proc.kill('SIGKILL');
      const { signal } = await child.exited;
      assert.equal(signal, 'SIGKILL');
      kills += 1;
    } else {
      child.proc.stdin!.end();
      const { code, lastLine } = await child.exited;
      assert.equal(code, 0);
      assert.equal(lastLine, 'DONE');
    }
    for (const k of child.acked) acked.add(k);
  }
  const rows = await stored('pk');
  assert.equal(kills, 10);
  assert.equal(acked.size, N);
  assert.deepEqual(
    {
      lost: [...acked].filter((k) => !rows.has(k)).length,
      duplicated: [...rows.values()].filter((n) => n > 1).length,
    },
    { lost: 0, duplicated: 0 },
  );
  assert.deepEqual(await segmentFiles(dataDir), []);
  await rm(dataDir, { recursive: true, force: true });
});

test('SIGTERM during heavy flushing, 10 times: every acknowledged record is committed or spooled', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ingest-sigterm-'));
  const createdAt = new Date().toISOString();
  const acked = new Set<string>();
  let next = 0;
  for (let round = 0; round < 10; round += 1) {
    // A short close deadline, so part of each shutdown goes to the spool.
    const child = startChild({
      CHILD_DATABASE_URL: t.url,
      CHILD_DATA_DIR: dataDir,
      CHILD_CLOSE_TIMEOUT_MS: '30',
    });
    await child.ready;
    const records = Array.from({ length: 5_000 }, () => record('st', next++, createdAt));
    for (let i = 0; i < records.length; i += 500) send(child, records.slice(i, i + 500));
    await sleep(50 + Math.random() * 250);
    child.proc.kill('SIGTERM');
    const { code, lastLine } = await child.exited;
    assert.equal(code, 0);
    assert.equal(lastLine, 'CLOSED');
    const rows = await stored('st');
    const spooled = await spooledKeys(dataDir);
    const missing = [...child.acked].filter((k) => !rows.has(k) && !spooled.has(k));
    assert.deepEqual(missing, [], `round ${round}: acknowledged but neither committed nor spooled`);
    for (const k of child.acked) acked.add(k);
  }
  // A last start replays whatever the shutdowns spooled.
  const last = startChild({ CHILD_DATABASE_URL: t.url, CHILD_DATA_DIR: dataDir, CHILD_DRAIN: '1' });
  await last.ready;
  last.proc.stdin!.end();
  assert.equal((await last.exited).code, 0);
  const rows = await stored('st');
  assert.ok(acked.size > 0);
  assert.deepEqual(
    [...acked].filter((k) => !rows.has(k)),
    [],
  );
  assert.deepEqual(
    [...rows.values()].filter((n) => n > 1),
    [],
  );
  assert.deepEqual(await segmentFiles(dataDir), []);
  await rm(dataDir, { recursive: true, force: true });
});

test('fsync failures injected with fiu-run: no record whose fsync failed is acknowledged', {
  skip: !existsSync('/usr/bin/fiu-run') && 'fiu-run is not installed (Debian package fiu-utils)',
}, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ingest-fiu-'));
  // Nothing listens on this port: every batch goes to the spool.
  const deadUrl = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
  const child = startChild(
    { CHILD_DATABASE_URL: deadUrl, CHILD_DATA_DIR: dataDir, CHILD_CLOSE_TIMEOUT_MS: '2000' },
    ['fiu-run', '-x', '-c', 'enable_random name=posix/io/sync/fsync,probability=0.25'],
  );
  await child.ready;
  const createdAt = new Date().toISOString();
  const records = Array.from({ length: 3_000 }, (_, i) => record('fiu', i, createdAt));
  for (let i = 0; i < records.length; i += 50) {
    send(child, records.slice(i, i + 50));
    await sleep(10);
  }
  child.proc.stdin!.end();
  const { code, lastLine } = await child.exited;
  assert.equal(code, 0);
  assert.equal(lastLine, 'DONE');
  assert.equal(child.acked.size + child.refused.size, records.length);
  // The fault fired: some appends failed and were refused with SPOOL_FAILED, never acknowledged.
  assert.ok(child.refused.size > 0, 'no fsync failure was injected');
  assert.ok([...child.refused.values()].every((c) => c === 'SPOOL_FAILED'));
  assert.ok(child.acked.size > 0);
  // Sealed-after-failure segments: appends continued in new segment files.
  assert.ok((await segmentFiles(dataDir)).length > 1);
  // Every acknowledged record is in a complete, checksummed frame of the spool.
  const spooled = await spooledKeys(dataDir);
  assert.deepEqual(
    [...child.acked].filter((k) => !spooled.has(k)),
    [],
  );
  await rm(dataDir, { recursive: true, force: true });
});
