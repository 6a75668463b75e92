/**
 * Spool appends are all-or-nothing: a file that stores only part of a buffer per write(2) call
 * (as a nearly full filesystem does) must still get every byte before an append is acknowledged,
 * and a write that stores nothing fails the append, seals the segment and keeps what came before.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import type { IngestRecord } from '../../src/ingest/record-kinds.js';
import { type SegmentFile, Spool } from '../../src/ingest/spool.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-short-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TENANT = '00000000-0000-4000-8000-000000000001';
const rec = (i: number): IngestRecord => ({
  kind: 'event_log',
  tenantId: TENANT,
  key: `k${i}`,
  row: {
    workflow_id: 'w',
    type: 't',
    message: `m${i}`.padEnd(200, '.'),
    created_at: '2026-11-26T00:00:00.000Z',
  },
});

/**
 * A real segment file whose write() stores at most `chunk` bytes per call, and nothing at all once
 * `capacity` bytes are in it (a full disk that reports short counts instead of an error).
 */
function shortWriting(chunk: number, capacity = Number.POSITIVE_INFINITY) {
  return async (path: string): Promise<SegmentFile> => {
    const handle = await open(path, 'ax');
    let stored = 0;
    return {
      async write(buffer, offset, length) {
        const n = Math.max(0, Math.min(chunk, length, capacity - stored));
        if (n === 0) return { bytesWritten: 0 };
        const { bytesWritten } = await handle.write(buffer, offset, n);
        stored += bytesWritten;
        return { bytesWritten };
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  };
}

async function storedKeys(): Promise<string[]> {
  const spool = await Spool.open({ dir });
  const keys: string[] = [];
  for (const name of spool.sealedSegments())
    for (const batch of (await spool.read(name)).batches) keys.push(...batch.map((r) => r.key));
  await spool.close();
  return keys;
}

test('short writes are continued until the whole frame is written', async () => {
  const spool = await Spool.open({ dir, createSegmentFile: shortWriting(37) });
  await spool.append([rec(1), rec(2), rec(3)]);
  await spool.append([rec(4)]);
  await spool.close();
  assert.deepEqual(await storedKeys(), ['k1', 'k2', 'k3', 'k4']);
});

test('a write that stores nothing fails the append; earlier frames stay, later appends use a new segment', async () => {
  let files = 0;
  const full = shortWriting(1_000, 700);
  const spool = await Spool.open({
    dir,
    createSegmentFile: async (path) => {
      files += 1;
      // Only the first segment is on the "full disk"; the next one has room again.
      return files === 1 ? full(path) : open(path, 'ax');
    },
  });
  await spool.append([rec(1)]);
  const failed = await spool.append([rec(2), rec(3)]).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(isShannonError(failed) && failed.code === 'SPOOL_FAILED', `got ${String(failed)}`);
  assert.equal(failed.status, 503);
  await spool.append([rec(4)]);
  await spool.close();
  assert.equal(files, 2, 'the failed segment was sealed');
  assert.deepEqual(await storedKeys(), ['k1', 'k4']);
});
