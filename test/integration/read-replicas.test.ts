/**
 * Reads on a real streaming replica (test-owned primary and `pg_basebackup -R` standby on
 * loopback), through HTTP. A write's answer carries a consistency token (the primary's WAL position
 * after the commit); a read that sends it back runs on the replica only once the replica has
 * replayed past it, else on the primary, so 1,000 write-then-read trials never miss their write.
 * Reads without a token run on the replica while it is caught up. A stopped replica is taken out
 * within its check interval and reads keep succeeding on the primary; restarted, it serves again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../src/auth/api-keys.js';
import { createTenant } from '../../src/auth/tenants.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataLayer, type DataLayer, runMigrations } from '../../src/data-layer.js';
import { createServer } from '../../src/server/create-server.js';
import { PgCluster } from '../helpers/pg-cluster.js';

const DB = 'shannon';
const TRIALS = 1_000;
const CONCURRENCY = 10;
const CHECK_MS = 200;

describe('read replicas with read-your-writes', () => {
  let primary: PgCluster;
  let standby: PgCluster;
  let layer: DataLayer;
  let app: FastifyInstance;
  let auth: { authorization: string };
  let dataDir: string;

  const readsOn = async (target: 'replica' | 'primary') => {
    const metric = await layer.metrics.replicaReads.get();
    return metric.values.find((v) => v.labels['target'] === target)?.value ?? 0;
  };

  const waitUntil = async (what: string, check: () => boolean, timeoutMs = 15_000) => {
    const started = performance.now();
    while (!check()) {
      assert.ok(performance.now() - started < timeoutMs, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return Math.round(performance.now() - started);
  };

  before(async () => {
    primary = await PgCluster.create({ settings: { wal_level: 'replica', max_wal_senders: 5 } });
    await primary.query(`CREATE DATABASE ${DB}`);
    await runMigrations(primary.url(DB));
    standby = await PgCluster.standbyOf(primary);
    dataDir = mkdtempSync(join(tmpdir(), 'shannon-replicas-'));
    layer = await createDataLayer(
      loadConfig({
        env: {
          DATABASE_URL: primary.url(DB),
          DATABASE_REPLICA_URLS: standby.url(DB),
          PG_REPLICA_CHECK_INTERVAL_MS: String(CHECK_MS),
          PG_CONNECT_TIMEOUT_MS: '1000',
          SHANNON_DATA_DIR: dataDir,
          LOG_LEVEL: 'silent',
          PG_HEALTH_PING_INTERVAL_MS: '0',
        },
      }),
    );
    app = await createServer(layer);
    await app.ready();
    const tenant = await createTenant(layer.db, { slug: 'replicas', rateLimitPerHour: 1_000_000 });
    const { key } = await createApiKey(layer.db, { tenantId: tenant.id, name: 'replicas' });
    auth = { authorization: `Bearer ${key}` };
  });

  after(async () => {
    await app?.close();
    await layer?.close();
    await standby?.destroy();
    await primary?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const write = async (workflowId: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/ingest/task_execution',
      headers: auth,
      payload: { records: [{ workflow_id: workflowId, query: 'q', status: 'RUNNING' }] },
    });
    assert.equal(res.statusCode, 200, res.body);
    const token = res.headers['x-shannon-consistency-token'];
    assert.equal(typeof token, 'string', 'a committed write carries a consistency token');
    return token as string;
  };
  const read = (workflowId: string, token?: string) =>
    app.inject({
      url: `/v1/tasks/${workflowId}`,
      headers: token === undefined ? auth : { ...auth, 'x-shannon-consistency-token': token },
    });

  it(`${TRIALS} write-then-read trials with the token never miss the write`, async () => {
    await waitUntil('the replica to serve', () => layer.reads.states()[0]!.serving);
    const replicaBefore = await readsOn('replica');
    const primaryBefore = await readsOn('primary');
    let missed = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < TRIALS; i = next++) {
          const token = await write(`wf-${i}`);
          const res = await read(`wf-${i}`, token);
          if (res.statusCode !== 200) missed++;
        }
      }),
    );
    const onReplica = (await readsOn('replica')) - replicaBefore;
    const onPrimary = (await readsOn('primary')) - primaryBefore;
    console.log(
      `read-your-writes: ${TRIALS} trials, ${missed} missed; read on the replica ${onReplica}, on the primary ${onPrimary} (the replica had not replayed the write yet)`,
    );
    assert.equal(missed, 0);
    assert.equal(onReplica + onPrimary, TRIALS);
  });

  it('reads without a token use the replica while it is caught up', async () => {
    // Caught up: the last check found it within PG_REPLICA_MAX_LAG_BYTES (it has replayed the trials).
    await waitUntil('the replica to catch up', () => layer.reads.states()[0]!.serving);
    const before = await readsOn('replica');
    for (let i = 0; i < 20; i++) assert.equal((await read(`wf-${i}`)).statusCode, 200);
    assert.equal((await readsOn('replica')) - before, 20);
  });

  it('a malformed token is a 400 naming the header', async () => {
    const res = await read('wf-1', 'not-a-position');
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.field, 'x-shannon-consistency-token');
  });

  it('a stopped replica is out within its check interval, reads keep succeeding, and it comes back', async () => {
    await standby.stop();
    const stoppedAt = performance.now();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await read(`wf-${i}`)).statusCode);
    const outMs = await waitUntil('the replica to be out', () => !layer.reads.states()[0]!.serving);
    const out = Math.round(performance.now() - stoppedAt);
    for (let i = 0; i < 30; i++) statuses.push((await read(`wf-${i}`)).statusCode);
    assert.deepEqual([...new Set(statuses)], [200], 'every read succeeded while the replica was down');

    await standby.start();
    const backMs = await waitUntil(
      'the replica to serve again',
      () => layer.reads.states()[0]!.serving,
      30_000,
    );
    const before = await readsOn('replica');
    assert.equal((await read('wf-1')).statusCode, 200);
    assert.equal((await readsOn('replica')) - before, 1);
    console.log(
      `replica stopped: out after ${out} ms (check interval ${CHECK_MS} ms; waited ${outMs} ms after 30 reads), 60 reads meanwhile all 200; back ${backMs} ms after its restart`,
    );
  });
});
