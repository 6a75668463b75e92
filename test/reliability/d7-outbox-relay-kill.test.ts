/**
 * D7: the service with the embedded vector index (the default: no QDRANT_URL) runs the outbox relay
 * that delivers points from PostgreSQL to the index. It is killed with kill -9 20 times (full) / 5
 * times (reduced) while points are written through POST /v1/memory/:collection/points, each kill
 * landing mid-delivery, and restarted on the same data directory. Pass, after the last restart:
 * the outbox is fully delivered, every acknowledged point is in PostgreSQL and found by a search
 * for its own vector, and — after the service is stopped — `collections reconcile --json` against
 * the same database and data directory finds nothing missing, orphaned or stale (exit status 0).
 */
import assert from 'node:assert/strict';
import { execFile as execFileCb } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Checker } from './helpers/checker.js';
import { MAIN, ROOT } from './helpers/service.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { sleep, waitFor } from './helpers/timing.js';
import { DIMENSION, vectorOf } from './helpers/vectors.js';

const execFile = promisify(execFileCb);
const KILLS = tier(5, 20);
const COLLECTION = 'task_embeddings';
const POINTS_PER_REQUEST = 20;

interface ReconcileReport {
  collection: string;
  sourcePoints: number;
  missing: number;
  orphans: number;
  stale: number;
}

test(`D7: the outbox relay's process killed ${KILLS} times mid-delivery: every point delivered, reconcile clean`, async () => {
  let stack: Stack | undefined;
  const checkers: Checker[] = [];
  try {
    stack = await startStack();
    const checker = new Checker({
      baseUrl: stack.service.baseUrl,
      apiKey: stack.apiKey,
      requestTimeoutMs: 20_000,
    });
    checkers.push(checker);
    const acknowledged = new Map<string, string>(); // key → point id
    let stop = false;
    const writer = (async () => {
      for (let b = 0; !stop && !checker.isClosed; b += 1) {
        const keys = Array.from({ length: POINTS_PER_REQUEST }, (_, i) => `d7-b${b}-${i}`);
        const body = JSON.stringify({
          points: keys.map((k) => ({ key: [k], vector: vectorOf(k), payload: { batch: b, name: k } })),
        });
        // The same body until acknowledged: ids derive from the key, so a retry is idempotent.
        for (;;) {
          const res = await fetch(`${checker.baseUrl}/v1/memory/${COLLECTION}/points`, {
            method: 'POST',
            headers: { authorization: `Bearer ${stack?.apiKey}`, 'content-type': 'application/json' },
            body,
            signal: AbortSignal.timeout(20_000),
          }).catch(() => undefined);
          if (res !== undefined && res.status === 200) {
            const { ids } = (await res.json()) as { ids: string[] };
            for (const [i, k] of keys.entries()) acknowledged.set(k, ids[i] as string);
            break;
          }
          await res?.arrayBuffer().catch(() => undefined);
          if (checker.isClosed) return;
          await sleep(100);
        }
        await sleep(20);
      }
    })();

    for (let kill = 0; kill < KILLS; kill += 1) {
      await sleep(500 + Math.random() * 1_000);
      await stack.service.kill9();
      await stack.service.restart();
    }
    await sleep(1_000);
    stop = true;
    await writer;
    const pool = stack.pool;
    const deliveredMs = await waitFor(
      'the outbox to be delivered',
      async () =>
        Number(
          (
            await pool.query<{ n: string }>(
              'SELECT count(*) AS n FROM public.memory_outbox WHERE delivered_at IS NULL',
            )
          ).rows[0]?.n,
        ) === 0,
      60_000,
      200,
    );
    const { rows } = await pool.query<{ id: string }>(
      'SELECT id::text AS id FROM public.memory_points WHERE tenant_id = $1',
      [stack.tenantId],
    );
    const inPostgres = new Set(rows.map((r) => r.id));
    const missingInPostgres = [...acknowledged.values()].filter((id) => !inPostgres.has(id));

    // Searchable: a search for a point's own vector returns that point first.
    const sample = [...acknowledged].filter(
      (_, i) => i % Math.max(1, Math.floor(acknowledged.size / 40)) === 0,
    );
    const notFound: string[] = [];
    for (const [key, id] of sample) {
      const res = await fetch(`${checker.baseUrl}/v1/memory/${COLLECTION}/search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ vector: vectorOf(key), limit: 1 }),
      });
      const { hits } = (await res.json()) as { hits?: Array<{ id: string }> };
      if (hits?.[0]?.id !== id) notFound.push(key);
    }

    const code = await stack.service.sigterm();
    const env = {
      ...process.env,
      DATABASE_URL: stack.serviceOptions.databaseUrl,
      SHANNON_DATA_DIR: stack.dataDir,
      VECTOR_DIMENSION: String(DIMENSION),
      LOG_LEVEL: 'warn',
    };
    const reconcile = await execFile(process.execPath, [MAIN, 'collections', 'reconcile', '--json'], {
      cwd: ROOT,
      env,
      timeout: 120_000,
    }).then(
      (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        status: e.code ?? -1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      }),
    );
    let reports: ReconcileReport[] = [];
    try {
      reports = JSON.parse(reconcile.stdout) as ReconcileReport[];
    } catch {
      reports = [];
    }
    const dirty = reports.filter((r) => r.missing + r.orphans + r.stale > 0);
    const ours = reports.find((r) => r.collection === COLLECTION);
    console.log(
      `D7 (${TIER_NAME}): ${KILLS} kill -9 of the service during point writes; ${acknowledged.size} points acknowledged, ` +
        `${missingInPostgres.length} missing in PostgreSQL; outbox delivered ${Math.round(deliveredMs)} ms after the writes stopped; ` +
        `search for its own vector found ${sample.length - notFound.length}/${sample.length} sampled points; SIGTERM exit ${code}; ` +
        `reconcile exit ${reconcile.status}: ${ours === undefined ? 'no report' : `${ours.sourcePoints} in PostgreSQL, ${ours.missing} missing, ${ours.orphans} orphans, ${ours.stale} stale`}` +
        (dirty.length > 0 ? `; dirty ${JSON.stringify(dirty)}` : ''),
    );
    assert.ok(acknowledged.size > 0, 'points were acknowledged');
    assert.deepEqual(missingInPostgres.slice(0, 5), [], 'acknowledged points missing in PostgreSQL');
    assert.deepEqual(notFound.slice(0, 5), [], 'acknowledged points a search does not find');
    assert.equal(reconcile.status, 0, `reconcile failed: ${reconcile.stderr.slice(-2_000)}`);
    assert.ok(ours !== undefined, `reconcile reported no ${COLLECTION}: ${reconcile.stdout.slice(0, 500)}`);
    assert.deepEqual(dirty, [], 'reconcile found something to repair');
  } finally {
    for (const c of checkers) c.close();
    await stack?.close();
  }
});
