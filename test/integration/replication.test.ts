/**
 * `shannon-data replication publish|status` between two test-owned PostgreSQL clusters on
 * loopback, as a second region would run: the publisher (wal_level = logical) publishes the
 * durable tables, the subscriber — migrated by the same migrations, since DDL is not replicated —
 * subscribes, and a tenant and a task written through the data layer on the publisher arrive
 * there. `status` shows the subscriber's slot and lag; a server without wal_level = logical is
 * refused with the setting named.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTenant } from '../../src/auth/tenants.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataLayer, type DataLayer, runMigrations } from '../../src/data-layer.js';
import type { ReplicationStatus } from '../../src/ops/replication.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PgCluster } from '../helpers/pg-cluster.js';

const DB = 'shannon';

describe('logical replication of the durable tables', () => {
  let publisher: PgCluster;
  let subscriber: PgCluster;
  let layer: DataLayer | undefined;
  let dataDir: string;

  before(async () => {
    [publisher, subscriber] = await Promise.all([
      PgCluster.create({ settings: { wal_level: 'logical', max_replication_slots: 4, max_wal_senders: 4 } }),
      PgCluster.create(),
    ]);
    for (const cluster of [publisher, subscriber]) {
      await cluster.query(`CREATE DATABASE ${DB}`);
      await runMigrations(cluster.url(DB));
    }
    dataDir = mkdtempSync(join(tmpdir(), 'shannon-replication-'));
  });

  after(async () => {
    await layer?.close();
    // The subscription holds a slot on the publisher: drop it first so both clusters stop cleanly.
    await subscriber?.query('DROP SUBSCRIPTION IF EXISTS region_b', [], DB).catch(() => undefined);
    await subscriber?.destroy();
    await publisher?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes, a subscriber receives a task written on the publisher, status shows its slot', async () => {
    const env = { DATABASE_URL: publisher.url(DB), LOG_LEVEL: 'silent' };
    const published = await runCli(['replication', 'publish', '--json'], env);
    assert.equal(published.code, 0, published.stderr);
    const result = JSON.parse(published.stdout) as { created: boolean; tables: string[] };
    assert.equal(result.created, true);
    assert.ok(result.tables.includes('public.task_executions'), result.tables.join(', '));
    assert.ok(!result.tables.includes('public.memory_outbox'));
    assert.ok(!result.tables.includes('public.shannon_schema_migrations'));

    const before = await runCli(['replication', 'status', '--json'], env);
    assert.equal(before.code, 0, before.stderr);

    await subscriber.query(
      `CREATE SUBSCRIPTION region_b CONNECTION 'host=127.0.0.1 port=${publisher.port} dbname=${DB} user=postgres' PUBLICATION shannon_data`,
      [],
      DB,
    );

    layer = await createDataLayer(
      loadConfig({
        env: { DATABASE_URL: publisher.url(DB), SHANNON_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      }),
    );
    const tenant = await createTenant(layer.db, { slug: 'replicated' });
    const outcome = await layer.ingest.write('task_execution', {
      tenant_id: tenant.id,
      workflow_id: 'wf-replicated',
      query: 'does it arrive?',
      status: 'COMPLETED',
    });
    assert.equal(outcome.outcome, 'committed');

    const started = performance.now();
    let arrived = false;
    while (!arrived && performance.now() - started < 30_000) {
      const rows = await subscriber.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM public.task_executions t JOIN auth.tenants a ON a.id = t.tenant_id
          WHERE t.workflow_id = 'wf-replicated' AND a.slug = 'replicated'`,
        [],
        DB,
      );
      arrived = rows[0]!.n === '1';
      if (!arrived) await new Promise((r) => setTimeout(r, 100));
    }
    const ms = Math.round(performance.now() - started);
    assert.ok(arrived, 'the task did not reach the subscriber within 30 s');

    // After the initial table sync the subscription's apply worker reconnects, so its slot can be
    // inactive for a moment (status then rightly exits 1); wait for it as an operator would.
    const activeBy = performance.now() + 30_000;
    for (;;) {
      const slot = await publisher.query<{ active: boolean }>(
        `SELECT active FROM pg_replication_slots WHERE slot_name = 'region_b'`,
        [],
        DB,
      );
      if (slot[0]?.active === true || performance.now() > activeBy) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const status = await runCli(['replication', 'status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as ReplicationStatus;
    assert.equal(s.walLevel, 'logical');
    assert.deepEqual(s.missingTables, []);
    assert.equal(s.subscribers.length, 1);
    assert.equal(s.subscribers[0]!.slot, 'region_b');
    assert.equal(s.subscribers[0]!.active, true);
    assert.equal(typeof s.subscribers[0]!.lagBytes, 'number');
    console.log(
      `replication: ${result.tables.length} tables published; a task arrived on the subscriber ${ms} ms after it committed; slot lag ${s.subscribers[0]!.lagBytes} bytes`,
    );
  });

  describe('on a server without wal_level = logical', () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase();
    });
    after(async () => t?.drop());

    it('publish is refused naming wal_level; status exits 1 (no publication)', async () => {
      const { rows } = await t.db.query<{ w: string }>(`SELECT current_setting('wal_level') AS w`);
      if (rows[0]!.w === 'logical') return; // a test server already set up for it has nothing to refuse
      const publish = await runCli(['replication', 'publish'], { DATABASE_URL: t.url, LOG_LEVEL: 'silent' });
      assert.equal(publish.code, 3, publish.stderr);
      assert.match(
        publish.stderr,
        /^error \[CONFLICT\]: wal_level is replica; logical replication needs wal_level = logical/,
      );
      const status = await runCli(['replication', 'status'], { DATABASE_URL: t.url, LOG_LEVEL: 'silent' });
      assert.equal(status.code, 1, status.stderr);
      assert.match(status.stdout, /publication shannon_data: missing \(run replication publish\)/);
    });
  });
});
