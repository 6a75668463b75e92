/**
 * HTTP ingest while PostgreSQL is down: a key verified before the outage still writes, its batches
 * acknowledged from the spool (200, outcome `spooled`); an unknown key gets 503, not 401; a read
 * gets 503 with Retry-After. Once PostgreSQL is back, every acknowledged record is stored once.
 * The service runs in-process over a test-owned cluster (test/helpers/pg-cluster.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../src/auth/api-keys.js';
import { createTenant } from '../../src/auth/tenants.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataLayer, type DataLayer } from '../../src/data-layer.js';
import { createServer } from '../../src/server/create-server.js';
import { PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
let dataLayer: DataLayer;
let app: FastifyInstance;
let key: string;
let unseenKey: string;
const dataDir = mkdtempSync(join(tmpdir(), 'shannon-outage-'));

before(async () => {
  cluster = await PgCluster.create();
  await cluster.query('CREATE DATABASE shannon');
  const config = loadConfig({
    env: {
      DATABASE_URL: cluster.url('shannon'),
      SHANNON_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      PG_HEALTH_PING_INTERVAL_MS: '0',
      PG_CONNECT_TIMEOUT_MS: '1000',
      PG_QUERY_TIMEOUT_MS: '2000',
      VECTOR_DIMENSION: '8',
    },
  });
  dataLayer = await createDataLayer(config);
  const tenant = await createTenant(dataLayer.db, { slug: 'outage', rateLimitPerHour: 1_000_000 });
  key = (await createApiKey(dataLayer.db, { tenantId: tenant.id, name: 'known' })).key;
  unseenKey = (await createApiKey(dataLayer.db, { tenantId: tenant.id, name: 'unseen' })).key;
  app = await createServer(dataLayer, { logger: false });
  await app.ready();
});

after(async () => {
  await app?.close();
  await dataLayer?.close();
  await cluster?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

const events = (from: number, n: number) => ({
  records: Array.from({ length: n }, (_, i) => ({
    workflow_id: 'wf-outage',
    type: 'step',
    message: `event ${from + i}`,
    seq: from + i + 1,
    idempotency_key: `outage-${from + i}`,
  })),
});

function post(apiKey: string, body: unknown) {
  return app.inject({
    method: 'POST',
    url: '/v1/ingest/event_log',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

test('a PostgreSQL outage: cached keys write to the spool, others get 503, nothing is lost', async () => {
  const first = await post(key, events(0, 10));
  assert.equal(first.statusCode, 200, first.body);

  await cluster.stop();
  let spooled = 0;
  for (let batch = 1; batch <= 5; batch += 1) {
    const res = await post(key, events(batch * 10, 10));
    assert.equal(res.statusCode, 200, `batch ${batch} during the outage: ${res.body}`);
    spooled += res.json().results.filter((r: { outcome: string }) => r.outcome === 'spooled').length;
  }
  assert.equal(spooled, 50, 'every record of the outage was acknowledged from the spool');

  const unknown = await post(unseenKey, events(100, 1));
  assert.equal(unknown.statusCode, 503, unknown.body);
  assert.ok(unknown.headers['retry-after'], 'Retry-After on 503');

  const read = await app.inject({ url: '/v1/tasks/wf-none', headers: { authorization: `Bearer ${key}` } });
  assert.equal(read.statusCode, 503, read.body);
  assert.ok(read.headers['retry-after'], 'Retry-After on 503');

  await cluster.start();
  for (let i = 0; i < 100 && dataLayer.ingest.stats().spool.records > 0; i += 1) {
    await dataLayer.ingest.replay();
    await new Promise((r) => setTimeout(r, 100));
  }
  const { rows } = await dataLayer.db.query<{ key: string; n: number }>(
    `SELECT idempotency_key AS key, count(*)::int AS n FROM event_logs
      WHERE workflow_id = 'wf-outage' GROUP BY idempotency_key`,
  );
  const stored = new Map(rows.map((r) => [r.key, r.n]));
  const lost = Array.from({ length: 60 }, (_, i) => `outage-${i}`).filter((k) => stored.get(k) !== 1);
  console.log(
    `outage over HTTP: 50 records spooled, ${rows.length} keys stored, ${lost.length} lost or doubled`,
  );
  assert.deepEqual(lost, []);
});
