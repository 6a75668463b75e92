/**
 * D4: the data directory (and so the spool) on a 1 MiB tmpfs that fills up. PostgreSQL is held
 * away from the write path by a test connection holding `LOCK TABLE public.event_logs IN ACCESS
 * EXCLUSIVE MODE` (the service's inserts hit PG_QUERY_TIMEOUT_MS, the write breaker opens, and
 * batches go to the spool) while authentication still works, so HTTP ingest keeps writing to the
 * spool until the disk is full. Pass: once the disk is full the service answers 503 (never 500)
 * and does not crash; after the lock is released, every acknowledged record is stored exactly once.
 */
import assert from 'node:assert/strict';
import { execFile as execFileCb } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import { Checker, countStored, runLoad } from './helpers/checker.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { sleep, waitFor } from './helpers/timing.js';

const execFile = promisify(execFileCb);
const DEADLINE_MS = 2_000;
/** How long the load keeps hitting the full disk before PostgreSQL comes back. */
const FULL_MS = tier(6_000, 20_000);

/** Mounts a 1 MiB tmpfs on a new directory; undefined (with the reason) when mounting is refused. */
async function mountTmpfs(): Promise<{ dir: string } | { refused: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'reliability-full-'));
  try {
    await execFile('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    return { dir };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    return { refused: (error as { stderr?: string }).stderr?.trim() || String(error) };
  }
}

const mount = await mountTmpfs();

test('D4: spool on a full 1 MiB tmpfs while PostgreSQL is held away: 503 (not 500), no crash, 0 acknowledged lost', {
  skip: 'refused' in mount ? `mount -t tmpfs was refused (${mount.refused}); D4 needs root` : false,
}, async () => {
  const dir = (mount as { dir: string }).dir;
  let stack: Stack | undefined;
  const checkers: Checker[] = [];
  let locker: pg.PoolClient | undefined;
  try {
    stack = await startStack({
      dataDir: dir,
      env: { PG_QUERY_TIMEOUT_MS: String(DEADLINE_MS), PG_STATEMENT_TIMEOUT_MS: String(DEADLINE_MS + 1_000) },
    });
    const checker = new Checker({
      baseUrl: stack.service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 30_000,
      maxRetryAfterMs: 1_000,
      // Long messages, so the 1 MiB disk fills within a few dozen batches.
      padChars: 900,
    });
    checkers.push(checker);
    let stop = false;
    const load = runLoad({
      checker,
      prefix: 'd4',
      clients: 3,
      batchRecords: 40,
      stopped: () => stop,
      pauseMs: 20,
    });
    await sleep(1_500);
    assert.ok(checker.acknowledged.size > 0, 'no batch was acknowledged before the fault');
    const committedBefore = checker.acknowledged.size;

    locker = await stack.pool.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE public.event_logs IN ACCESS EXCLUSIVE MODE');
    const lockedAt = performance.now();
    const free = () => {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    };
    // The disk is full once less than one batch's frame fits.
    let fullAfterMs: number | undefined;
    try {
      fullAfterMs = await waitFor('the spool disk to fill', () => free() < 64 * 1024, 60_000, 100);
    } catch {
      fullAfterMs = undefined;
    }
    const fullAt = performance.now();
    const ackedAtFull = checker.acknowledged.size;
    await sleep(FULL_MS);
    // Answers to requests sent once the disk was full. A batch first waits for the locked table
    // for the query deadline (2 s) before the spool refuses it, so the window must hold a few.
    const whileFull = checker.attempts.filter((a) => a.startedAt >= fullAt + 500);
    const ackedWhileFull = checker.acknowledged.size - ackedAtFull;

    await locker.query('COMMIT');
    locker.release();
    locker = undefined;
    const releasedAt = performance.now();
    // Recovery: the spool replays, the disk frees, and the clients' retries get through.
    await sleep(2_000);
    stop = true;
    await load;
    const service = stack.service;
    const drainMs = await waitFor(
      'the spool to drain',
      async () => (await service.spoolRecords()) === 0,
      60_000,
      200,
    );
    const count = await countStored(stack.pool, stack.tenantId, 'd4', checker.acknowledged);
    const statuses = (list: typeof checker.attempts) => {
      const counts: Record<string, number> = {};
      for (const a of list) {
        const k = `${a.status}${a.code === undefined ? '' : ` ${a.code}`}`;
        counts[k] = (counts[k] ?? 0) + 1;
      }
      return counts;
    };
    const errors500 = checker.attempts.filter((a) => a.status === 500 || a.status === 0 || a.status === -1);
    console.log(
      `D4 (${TIER_NAME}): ${committedBefore} records acknowledged before the lock, ${ackedAtFull} when the disk was full ` +
        `(${fullAfterMs === undefined ? 'never filled' : `${Math.round(fullAfterMs)} ms after the lock`}), ${ackedWhileFull} more while full; ` +
        `answers while full ${JSON.stringify(statuses(whileFull))}; all answers ${JSON.stringify(statuses(checker.attempts))}; ` +
        `after release: spool drained ${Math.round(drainMs)} ms after the load stopped (${Math.round(performance.now() - releasedAt)} ms after release); ` +
        `acknowledged ${count.acknowledged}, lost ${count.lost}, duplicated ${count.duplicated}; ` +
        `locked ${Math.round(releasedAt - lockedAt)} ms`,
    );
    assert.ok(fullAfterMs !== undefined, `the spool never filled the disk (free ${free()} bytes)`);
    assert.ok(whileFull.length > 0, 'requests were sent while the disk was full');
    assert.deepEqual(
      [...new Set(whileFull.filter((a) => a.status < 200 || a.status >= 300).map((a) => a.status))].filter(
        (s) => s !== 503,
      ),
      [],
      'every refusal while the disk is full is a 503',
    );
    assert.equal(
      errors500.length,
      0,
      `500s, network errors or timeouts: ${JSON.stringify(statuses(errors500))}`,
    );
    assert.deepEqual(stack.service.crashes, [], 'the service exited on its own');
    assert.ok(stack.service.running, 'the service still runs');
    assert.deepEqual(
      { lost: count.lost, duplicated: count.duplicated },
      { lost: 0, duplicated: 0 },
      `lost ${count.lostExamples.join(',')}; duplicated ${count.duplicatedExamples.join(',')}`,
    );
  } finally {
    for (const c of checkers) c.close();
    if (locker !== undefined) {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
    await stack?.close();
    await execFile('umount', [dir]).catch(() => execFile('umount', ['-l', dir]));
    await rm(dir, { recursive: true, force: true });
  }
});
