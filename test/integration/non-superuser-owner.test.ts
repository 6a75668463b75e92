/**
 * Production rarely connects as a superuser. A role that owns its database and has CREATEROLE
 * (no superuser, no BYPASSRLS) can run every migration, write many tenants' rows in one statement
 * as the trusted internal writer, and run tenant transactions, which switch to shannon_app and are
 * filtered by row-level security. The write path works for it too, by upserts: PostgreSQL refuses
 * COPY FROM into tables whose row-level security applies to the writing role.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { runMigrations } from '../../src/data-layer.js';
import { formatIngestBenchmark, runIngestBenchmark } from '../../src/devtools/bench/ingest-benchmark.js';
import { ingestMetricsEvents } from '../../src/ingest/ingest-metrics.js';
import { PostgresRecordWriter } from '../../src/ingest/record-writer.js';
import { validateRecord } from '../../src/ingest/validate-record.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { Database } from '../../src/postgres/database.js';
import { databaseUrl, TEST_SERVER_URL, testPoolConfig } from '../helpers/database.js';

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('a non-superuser owner', () => {
  const name = `shannon_owner_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = (() => {
    const u = new URL(databaseUrl(name));
    u.username = name;
    return u.toString();
  })();
  before(async () => {
    await admin(`CREATE ROLE ${name} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS`);
    await admin(`CREATE DATABASE ${name} OWNER ${name}`);
  });
  after(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin(`REVOKE shannon_app FROM ${name}`).catch(() => undefined);
    await admin(`DROP ROLE IF EXISTS ${name}`);
  });

  it('migrates, gets membership in shannon_app, and is filtered by row-level security', async () => {
    const results = await runMigrations(url);
    assert.ok(results.every((r) => r.outcome === 'applied'));
    const db = new Database({ connectionString: url, pool: testPoolConfig() });
    try {
      const tenants = await db.query<{ id: string }>(
        `INSERT INTO auth.tenants (name, slug) VALUES ('a', $1), ('b', $2) RETURNING id`,
        [`a-${name}`, `b-${name}`],
      );
      const [a, b] = tenants.rows.map((r) => r.id) as [string, string];
      await db.withTenant(a, (tx) =>
        tx.query(`INSERT INTO public.users (tenant_id, external_id) VALUES ($1, 'ua')`, [a]),
      );
      await db.withTenant(b, (tx) =>
        tx.query(`INSERT INTO public.users (tenant_id, external_id) VALUES ($1, 'ub')`, [b]),
      );
      const seen = await db.withTenant(a, (tx) =>
        tx.query<{ external_id: string }>('SELECT external_id FROM public.users'),
      );
      assert.deepEqual(
        seen.rows.map((r) => r.external_id),
        ['ua'],
      );
      // The owner is the trusted internal writer (write path, toolkit): through shannon_system it
      // writes and reads every tenant's rows in one statement, as a superuser would.
      await db.query(`INSERT INTO public.users (tenant_id, external_id) VALUES ($1, 'ua2'), ($2, 'ub2')`, [
        a,
        b,
      ]);
      const unscoped = await db.query('SELECT * FROM public.users');
      assert.equal(unscoped.rowCount, 4);
      // The application role stays filtered: with no tenant set it sees nothing.
      const asApp = await db.withTransaction(async (tx) => {
        await tx.query('SET LOCAL ROLE shannon_app');
        return tx.query('SELECT * FROM public.users');
      });
      assert.equal(asApp.rowCount, 0);
    } finally {
      await db.close();
    }
  });

  it('writes through the write path: PostgreSQL refuses COPY under row-level security, the upsert takes over', async () => {
    const metrics = createMetrics();
    const db = new Database({ connectionString: url, pool: testPoolConfig(), metrics });
    try {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO auth.tenants (name, slug) VALUES ('w', $1) RETURNING id`,
        [`w-${name}`],
      );
      const tenant = rows[0]!.id;
      const writer = new PostgresRecordWriter(db, { events: ingestMetricsEvents(metrics) });
      const batch = (from: number) =>
        Array.from({ length: 5 }, (_, i) =>
          validateRecord('event_log', { tenant_id: tenant, workflow_id: 'wf', type: 'STEP', seq: from + i }),
        );
      assert.equal(await writer.write('event_log', batch(1)), 5);
      assert.equal(await writer.write('event_log', batch(6)), 5);
      const fallbacks = await metrics.ingestCopyFallbacks.get();
      // Refused once, then never tried again by this writer.
      assert.deepEqual(
        fallbacks.values.map((v) => [v.labels['reason'], v.value]),
        [['not_permitted', 1]],
      );
      const stored = await db.query('SELECT 1 FROM public.event_logs WHERE tenant_id = $1', [tenant]);
      assert.equal(stored.rowCount, 10);
    } finally {
      await db.close();
    }
  });

  it('bench ingest skips the COPY phases it may not run, says why, and still measures the write path', async () => {
    const db = new Database({ connectionString: url, pool: testPoolConfig() });
    try {
      const r = await runIngestBenchmark(db, { connectionString: url, rows: 1_000 });
      assert.equal(r.rowsPerSecond.copy, null);
      assert.equal(r.rowsPerSecond.copyBatches, null);
      assert.equal(r.ratio_vs_copy, null);
      assert.match(r.copyRefused ?? '', /row-level security/);
      assert.ok(r.rowsPerSecond.writePath > 0 && r.rowsPerSecond.rowByRow > 0);
      assert.ok((r.writePathCopyFallbacks['not_permitted'] ?? 0) >= 1);
      assert.match(formatIngestBenchmark(r), /raw COPY, 1 stream +n\/a/);
    } finally {
      await db.close();
    }
  });
});
