/**
 * Archive round trip: a month of event logs and token usage is exported by retention before its
 * partitions are dropped, and the memory points of that month go with it; restore of the signed
 * archive brings back identical row counts and checksums, and the points come back only then.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArchiveManifest, rangeChecksum } from '../../src/ops/archive.js';
import { restoreArchive } from '../../src/ops/archive-restore.js';
import { monthStart } from '../../src/ops/partition-catalog.js';
import { planRetention, runRetention } from '../../src/ops/retention.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const KEY = 'archive-round-trip-test-key-0123456789abcdef';

describe('retention and archive round trip', () => {
  let t: TestDatabase;
  let dir: string;
  let tenant: string;
  const now = new Date();
  const month = monthStart(now, -2);
  const monthEnd = monthStart(now, -1);
  const recent = monthStart(now, 0);

  before(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'shannon-archive-'));
    tenant = await createTenant(t.db);
    await t.db.query(
      `INSERT INTO public.event_logs (workflow_id, type, message, tenant_id, idempotency_key, created_at, "timestamp")
       SELECT 'wf-' || (g % 7), 'progress', 'message ' || g, $1, 'ev-' || g, ts, ts
         FROM generate_series(1, 3000) g, LATERAL (SELECT $2::timestamptz + (g * interval '7 minutes') AS ts) x`,
      [tenant, month],
    );
    await t.db.query(
      `INSERT INTO public.event_logs (workflow_id, type, tenant_id, idempotency_key, created_at)
       SELECT 'wf-new', 'progress', $1, 'new-' || g, $2::timestamptz + g * interval '1 minute' FROM generate_series(1, 50) g`,
      [tenant, recent],
    );
    await t.db.query(
      `INSERT INTO public.token_usage (provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, tenant_id, idempotency_key, created_at)
       SELECT 'openai', 'gpt-x', g, g * 2, g * 3, g / 1000.0, $1, 'tu-' || g, $2::timestamptz + g * interval '13 minutes'
         FROM generate_series(1, 2000) g`,
      [tenant, month],
    );
    await t.db.query(
      `INSERT INTO public.memory_collection_versions (collection, version, physical_name, dimension, state)
       VALUES ('task_embeddings', 1, 'task_embeddings_v1', 4, 'active')`,
    );
    await t.db.query(
      `INSERT INTO public.memory_points (tenant_id, collection, id, vector, payload, created_at)
       SELECT $1, 'task_embeddings_v1', gen_random_uuid(), '\\x0000803f000000400000404000008040'::bytea,
              jsonb_build_object('n', g), CASE WHEN g <= 40 THEN $2::timestamptz + g * interval '1 hour' ELSE now() END
         FROM generate_series(1, 60) g`,
      [tenant, month],
    );
  });
  after(async () => {
    await t?.drop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('drops the month after exporting it, removes its memory points, and restore brings everything back identical', async () => {
    const policies = [
      { table: 'public.event_logs', days: 31, memoryPoints: true },
      { table: 'public.token_usage', days: 31 },
    ];
    const eventsRange = { table: 'public.event_logs', from: month, to: monthEnd };
    const usageRange = { table: 'public.token_usage', from: month, to: monthEnd };
    const eventsBefore = await rangeChecksum(t.db, t.db, eventsRange);
    const usageBefore = await rangeChecksum(t.db, t.db, usageRange);
    assert.equal(eventsBefore.rows, 3000);
    assert.equal(usageBefore.rows, 2000);

    const plan = await planRetention(t.db, { policies, now });
    const drops = plan.filter((a) => a.kind === 'drop_partition' && a.from === month.toISOString());
    assert.equal(drops.length, 2, JSON.stringify(plan));
    const dry = await runRetention(t.db, t.db, { policies, now, archiveDirectory: dir, dryRun: true });
    assert.equal(dry.archive, null);
    assert.equal((await rangeChecksum(t.db, t.db, eventsRange)).rows, 3000, 'dry run changes nothing');

    const report = await runRetention(t.db, t.db, {
      policies,
      now,
      archiveDirectory: dir,
      archiveKey: KEY,
    });
    assert.ok(
      report.actions.every((a) => a.done),
      JSON.stringify(report.actions.filter((a) => !a.done)),
    );
    assert.ok(report.archive !== null);
    const manifest = JSON.parse(
      await readFile(join(report.archive, 'manifest.json'), 'utf8'),
    ) as ArchiveManifest;
    const eventsFile = manifest.files.find(
      (f) => f.table === 'public.event_logs' && f.from === month.toISOString(),
    )!;
    assert.equal(eventsFile.rows, 3000);
    assert.equal(eventsFile.sha256, eventsBefore.sha256);
    assert.match(manifest.signature ?? '', /^hmac-sha256:[0-9a-f]{64}$/);

    // Gone: the month's partitions and its memory points; the recent rows and points stay.
    const { rows: left } = await t.db.query<{
      ev: string;
      tu: string;
      recent: string;
      points: string;
      delq: string;
    }>(
      `SELECT (SELECT count(*) FROM public.event_logs WHERE created_at < $1) AS ev,
              (SELECT count(*) FROM public.token_usage WHERE created_at < $1) AS tu,
              (SELECT count(*) FROM public.event_logs WHERE created_at >= $2) AS recent,
              (SELECT count(*) FROM public.memory_points) AS points,
              (SELECT count(*) FROM public.memory_outbox WHERE op = 'delete') AS delq`,
      [monthEnd, recent],
    );
    assert.deepEqual(left[0], { ev: '0', tu: '0', recent: '50', points: '20', delq: '40' });
    assert.equal(
      (
        await t.db.query(`SELECT 1 FROM pg_class WHERE relname = $1`, [
          `event_logs_p${month.toISOString().slice(0, 7).replace('-', '')}`,
        ])
      ).rowCount,
      0,
    );

    const restored = await restoreArchive(t.db, t.db, { directory: report.archive, key: KEY });
    assert.equal(restored.trust, 'verified');
    assert.ok(
      restored.files.every((f) => f.verified),
      JSON.stringify(restored.files),
    );
    const eventsAfter = await rangeChecksum(t.db, t.db, eventsRange);
    const usageAfter = await rangeChecksum(t.db, t.db, usageRange);
    assert.deepEqual(eventsAfter, eventsBefore);
    assert.deepEqual(usageAfter, usageBefore);
    const { rows: back } = await t.db.query<{ points: string; upq: string; inDefault: string }>(
      `SELECT (SELECT count(*) FROM public.memory_points) AS points,
              (SELECT count(*) FROM public.memory_outbox WHERE op = 'upsert') AS upq,
              (SELECT count(*) FROM ONLY public.event_logs_default) AS "inDefault"`,
    );
    assert.deepEqual(back[0], { points: '60', upq: '40', inDefault: '0' });
  });

  it('refuses an archive whose file was altered', async () => {
    const report = await runRetention(t.db, t.db, {
      policies: [{ table: 'public.event_logs', days: 31 }],
      now,
      archiveDirectory: join(dir, 'second'),
      archiveKey: KEY,
    });
    assert.ok(report.archive !== null);
    const manifest = JSON.parse(
      await readFile(join(report.archive, 'manifest.json'), 'utf8'),
    ) as ArchiveManifest;
    const filePath = join(report.archive, manifest.files[0]!.file);
    const bytes = await readFile(filePath);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(filePath, bytes);
    await assert.rejects(restoreArchive(t.db, t.db, { directory: report.archive, key: KEY }), {
      code: 'CONFLICT',
    });
  });
});

describe('retention by tenant plan', () => {
  let t: TestDatabase;
  let dir: string;
  before(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'shannon-retention-'));
  });
  after(async () => {
    await t?.drop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("deletes only the shorter plan's old rows, in batches, after archiving them", async () => {
    const free = await createTenant(t.db);
    const enterprise = await createTenant(t.db);
    await t.db.query(`UPDATE auth.tenants SET plan = 'enterprise' WHERE id = $1`, [enterprise]);
    for (const tenant of [free, enterprise]) {
      await t.db.query(
        `INSERT INTO public.event_logs (workflow_id, type, tenant_id, idempotency_key, created_at)
         SELECT 'wf', 'progress', $1, 'k-' || g, now() - interval '20 days' - g * interval '1 second'
           FROM generate_series(1, 12000) g`,
        [tenant],
      );
      await t.db.query(
        `INSERT INTO public.event_logs (workflow_id, type, tenant_id, idempotency_key, created_at)
         SELECT 'wf', 'progress', $1, 'fresh-' || g, now() - interval '1 day' FROM generate_series(1, 10) g`,
        [tenant],
      );
    }
    const policies = [{ table: 'public.event_logs', days: 90, byPlan: { free: 10 } }];
    const report = await runRetention(t.db, t.db, { policies, archiveDirectory: dir });
    const deletes = report.actions.filter((a) => a.kind === 'delete_tenant_rows');
    assert.equal(deletes.length, 1);
    assert.ok(deletes[0]!.done && deletes[0]!.kind === 'delete_tenant_rows' && deletes[0]!.tenantId === free);
    assert.equal(
      report.actions.filter((a) => a.kind === 'drop_partition').length,
      0,
      'enterprise keeps 90 days',
    );
    const counts = async (tenant: string) =>
      Number(
        (
          await t.db.query<{ n: string }>(
            'SELECT count(*) AS n FROM public.event_logs WHERE tenant_id = $1',
            [tenant],
          )
        ).rows[0]!.n,
      );
    assert.equal(await counts(free), 10);
    assert.equal(await counts(enterprise), 12010);
    assert.equal(report.manifest?.files[0]?.rows, 12000);
    assert.equal(report.manifest?.files[0]?.tenantId, free);
  });
});
