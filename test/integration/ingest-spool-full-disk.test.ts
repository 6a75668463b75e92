/**
 * The spool on a real, tiny tmpfs: appends are made until the filesystem is full. Every append that
 * resolved must be read back whole after a reopen, and every one that did not must have failed
 * with SPOOL_FAILED (503) — never a torn frame acknowledged. Mounting needs root; elsewhere the
 * test is skipped with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import type { IngestRecord } from '../../src/ingest/record-kinds.js';
import { Spool } from '../../src/ingest/spool.js';

const mountPoint = mkdtempSync(join(tmpdir(), 'spool-tmpfs-'));
let mounted = false;
let skipReason: string | undefined;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
  mounted = true;
} catch (error) {
  skipReason = `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]}); needs root`;
}

before(() => {
  if (skipReason !== undefined) console.log(`skipping the full-disk spool test: ${skipReason}`);
});
after(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const TENANT = '00000000-0000-4000-8000-000000000001';

function batch(n: number, size: number): IngestRecord[] {
  return Array.from({ length: size }, (_, i) => ({
    kind: 'task_execution' as const,
    tenantId: TENANT,
    key: `b${n}-r${i}`,
    row: { workflow_id: `wf-${n}-${i}`, status: 'RUNNING', query: 'x'.repeat(1_900) },
  }));
}

test('a full tmpfs: every acknowledged batch is read back whole, the rest fail with SPOOL_FAILED', {
  skip: skipReason,
}, async () => {
  const dir = join(mountPoint, 'spool');
  const spool = await Spool.open({ dir, segmentMaxBytes: 256 * 1024 });
  const acknowledged: string[] = [];
  let failures = 0;
  // Batches of varied sizes so the disk fills in the middle of some frame.
  for (let n = 0; n < 60 && failures < 5; n += 1) {
    const records = batch(n, 7 + (n % 13) * 3);
    try {
      await spool.append(records);
      acknowledged.push(...records.map((r) => r.key));
    } catch (error) {
      assert.ok(isShannonError(error), `a typed error, got ${String(error)}`);
      assert.ok(error.code === 'SPOOL_FAILED' || error.code === 'BACKPRESSURE', error.code);
      assert.equal(error.status, 503);
      failures += 1;
    }
  }
  await spool.close();
  assert.ok(failures > 0, 'the disk filled up');
  const reopened = await Spool.open({ dir });
  const stored = new Set<string>();
  for (const name of reopened.sealedSegments())
    for (const frame of (await reopened.read(name)).batches) for (const r of frame) stored.add(r.key);
  await reopened.close();
  const lost = acknowledged.filter((k) => !stored.has(k));
  console.log(
    `spool on 1 MiB tmpfs: ${acknowledged.length} records acknowledged, ${failures} appends refused, ${lost.length} lost`,
  );
  assert.deepEqual(lost, []);
});
