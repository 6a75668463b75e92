/**
 * S1: three service instances on one database, each with its own embedded vector index (the
 * default: no QDRANT_URL) and its own data directory, as several replicas of the service behind a
 * load balancer run. Pass:
 * - a point written through any instance is found by a search for its own vector through every
 *   instance (each index follows the outbox itself; the relay feeds only the index of the process
 *   holding its lock); the p99 time from acknowledgement to found is printed;
 * - retrying clients ingesting through all three at once: 0 acknowledged records lost, 0 duplicated;
 * - three instances started at the same moment on an empty database all become ready with every
 *   migration recorded (each one applied by one of them, under the migration lock).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { Checker, countStored, runLoad } from './helpers/checker.js';
import { ROOT, Service } from './helpers/service.js';
import { type Stack, startStack } from './helpers/stack.js';
import { TIER_NAME, tier } from './helpers/tiers.js';
import { latencySummary, sleep } from './helpers/timing.js';
import { vectorOf } from './helpers/vectors.js';

const INSTANCES = 3;
const POINTS = tier(30, 300);
const INGEST_SECONDS = tier(5, 20);
const CONVERGE_TIMEOUT_MS = 20_000;
const COLLECTION = 'task_embeddings';

async function call(service: Service, apiKey: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${service.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await res.json()) as unknown;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

test(`S1: ${INSTANCES} instances on one database: every point found through every instance, ingest 0 lost / 0 duplicated, migrations once`, async () => {
  let stack: Stack | undefined;
  const services: Service[] = [];
  const dirs: string[] = [];
  const checkers: Checker[] = [];
  try {
    stack = await startStack({ noService: true });
    const apiKey = stack.apiKey;
    for (let i = 0; i < INSTANCES; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), `s1-instance-${i}-`));
      dirs.push(dataDir);
      services.push(await Service.start({ ...stack.serviceOptions, dataDir }));
    }

    // Convergence: each point through the next instance in turn, then searched through all of them.
    const convergeMs: number[] = [];
    const slowest: Array<{ key: string; writer: number; reader: number; ms: number }> = [];
    for (let p = 0; p < POINTS; p++) {
      const key = `s1-point-${p}`;
      const writer = p % INSTANCES;
      const { ids } = (await call(services[writer]!, apiKey, `/v1/memory/${COLLECTION}/points`, {
        points: [{ key: [key], vector: vectorOf(key), payload: { n: p } }],
      })) as { ids: string[] };
      const acknowledgedAt = performance.now();
      await Promise.all(
        services.map(async (service, reader) => {
          for (;;) {
            const { hits } = (await call(service, apiKey, `/v1/memory/${COLLECTION}/search`, {
              vector: vectorOf(key),
              limit: 1,
            })) as { hits: Array<{ id: string }> };
            const ms = performance.now() - acknowledgedAt;
            if (hits[0]?.id === ids[0]) {
              convergeMs.push(ms);
              slowest.push({ key, writer, reader, ms: Math.round(ms) });
              return;
            }
            assert.ok(
              ms < CONVERGE_TIMEOUT_MS,
              `${key}, written through instance ${writer}, not found through instance ${reader} after ${Math.round(ms)} ms`,
            );
            await sleep(20);
          }
        }),
      );
    }
    const converge = latencySummary(convergeMs);

    // Ingest through all three at once, each client retrying its batch until acknowledged.
    let stopped = false;
    for (const service of services) {
      checkers.push(new Checker({ baseUrl: service.baseUrl, apiKey, requestTimeoutMs: 20_000 }));
    }
    const loads = checkers.map((checker, i) =>
      runLoad({ checker, prefix: `s1-i${i}`, clients: 3, batchRecords: 20, stopped: () => stopped }),
    );
    await sleep(INGEST_SECONDS * 1000);
    stopped = true;
    await Promise.all(loads);
    // Acknowledged means durable, not yet visible: wait for every instance's write path to drain.
    await sleep(1000);
    const counts = await Promise.all(
      checkers.map((c, i) => countStored(stack!.pool, stack!.tenantId, `s1-i${i}`, c.acknowledged)),
    );
    const acknowledged = counts.reduce((a, c) => a + c.acknowledged, 0);
    const lost = counts.reduce((a, c) => a + c.lost, 0);
    const duplicated = counts.reduce((a, c) => a + c.duplicated, 0);

    // Three instances started together on an empty database.
    await stack.cluster.query('CREATE DATABASE s1_fresh');
    const freshUrl = stack.cluster.url('s1_fresh');
    const fresh = await Promise.all(
      Array.from({ length: INSTANCES }, async (_, i) => {
        const dataDir = await mkdtemp(join(tmpdir(), `s1-fresh-${i}-`));
        dirs.push(dataDir);
        return Service.start({ ...stack!.serviceOptions, databaseUrl: freshUrl, dataDir });
      }),
    );
    services.push(...fresh);
    const migrationFiles = readdirSync(join(ROOT, 'src', 'schema', 'migrations')).filter((f) =>
      f.endsWith('.sql'),
    );
    const client = new pg.Client({ connectionString: freshUrl });
    await client.connect();
    const applied = await client
      .query<{ version: string }>('SELECT version::text AS version FROM public.shannon_schema_migrations')
      .finally(() => client.end());

    slowest.sort((a, b) => b.ms - a.ms);
    console.log(
      `S1 (${TIER_NAME}): ${INSTANCES} instances, embedded index each; ${POINTS} points, each written through one instance and searched through all: ` +
        `time to found p50 ${converge.p50} ms, p99 ${converge.p99} ms, max ${converge.max} ms (n ${converge.n}); slowest ${JSON.stringify(slowest.slice(0, 3))}; ` +
        `ingest ${INGEST_SECONDS} s through all three: ${acknowledged} records acknowledged, lost ${lost}, duplicated ${duplicated}, statuses ${JSON.stringify(checkers.map((c) => c.statusCounts()))}; ` +
        `${INSTANCES} instances started at once on an empty database: all ready, ${applied.rows.length} migrations recorded for ${migrationFiles.length} files`,
    );
    assert.equal(convergeMs.length, POINTS * INSTANCES);
    assert.ok(acknowledged > 0, 'the load acknowledged records');
    assert.equal(lost, 0, `lost: ${counts.flatMap((c) => c.lostExamples).join(', ')}`);
    assert.equal(duplicated, 0, `duplicated: ${counts.flatMap((c) => c.duplicatedExamples).join(', ')}`);
    // Each instance migrates at start-up; without the migration lock two would run the same file and
    // one would stop on "already exists" instead of becoming ready.
    assert.equal(applied.rows.length, migrationFiles.length);
    for (const service of services) assert.deepEqual(service.crashes, [], service.logTail);
  } finally {
    for (const c of checkers) c.close();
    for (const service of services) await service.stop().catch(() => undefined);
    await stack?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
});
