/**
 * Read throughput with and without a read replica, in one run: `npx tsx bench/replica-reads.ts
 * [--tasks N] [--seconds S] [--clients C] [--json]`. Starts a primary and a `pg_basebackup -R`
 * standby (test-owned clusters on loopback, removed afterwards), seeds the primary, then drives the
 * hot task read (T2, `GET /v1/tasks/:id` through the stores) closed-loop for S seconds each: on a
 * data layer with no replica, then on one whose reads go to the replica. Prints reads/s of both and
 * their ratio. On one machine the replica shares the CPUs with the primary, so the ratio says what
 * routing costs, not what a replica on its own server would add.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { createDataLayer, type DataLayer, runMigrations } from '../src/data-layer.js';
import { seedDatabase } from '../src/devtools/seed/seed-database.js';
import { HOT_QUERY_DATA_SET } from '../src/stores/hot-queries.js';
import { PgCluster } from '../test/helpers/pg-cluster.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
  },
});
const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

const DB = 'shannon';
const tasks = Number(values.tasks);
const seconds = Number(values.seconds);
const clients = Number(values.clients);

async function drive(layer: DataLayer, tenantId: string, workflowIds: string[]): Promise<number> {
  let reads = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; performance.now() < until; i += clients) {
        const id = workflowIds[i % workflowIds.length]!;
        await layer.reads.run(undefined, (s) => s.tasks.getByWorkflowId(tenantId, id));
        reads++;
      }
    }),
  );
  return reads / seconds;
}

const primary = await PgCluster.create({ settings: { wal_level: 'replica', max_wal_senders: 5 } });
const dirs: string[] = [];
let standby: PgCluster | undefined;
try {
  await primary.query(`CREATE DATABASE ${DB}`);
  await runMigrations(primary.url(DB));
  const open = (extra: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-replica-'));
    dirs.push(dir);
    return createDataLayer(
      loadConfig({
        env: {
          DATABASE_URL: primary.url(DB),
          SHANNON_DATA_DIR: dir,
          LOG_LEVEL: 'silent',
          PG_POOL_MAX: '16',
          ...extra,
        },
      }),
    );
  };
  const seeding = await open({});
  const scale = tasks / HOT_QUERY_DATA_SET.tasks;
  await seedDatabase(seeding.db, {
    ...HOT_QUERY_DATA_SET,
    tasks,
    sessions: Math.max(1, Math.round(HOT_QUERY_DATA_SET.sessions * scale)),
    onProgress: (p) => log(`seed ${p.table} ${p.done}/${p.total}`),
  });
  const sample = await seeding.db.query<{ tenant_id: string; workflow_id: string }>(
    `SELECT tenant_id::text, workflow_id FROM public.task_executions
      WHERE tenant_id = (SELECT tenant_id FROM public.task_executions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)
      LIMIT 2000`,
  );
  const tenantId = sample.rows[0]!.tenant_id;
  const ids = sample.rows.map((r) => r.workflow_id);
  await seeding.db.query('CHECKPOINT');
  standby = await PgCluster.standbyOf(primary);
  log(
    `standby on port ${standby.port}; ${ids.length} workflows of one tenant, ${clients} clients, ${seconds} s each`,
  );

  const alone = await drive(seeding, tenantId, ids);
  await seeding.close();
  const routed = await open({ DATABASE_REPLICA_URLS: standby.url(DB) });
  while (!routed.reads.states()[0]!.serving) await new Promise((r) => setTimeout(r, 50));
  const before =
    (await routed.metrics.replicaReads.get()).values.find((v) => v.labels['target'] === 'replica')?.value ??
    0;
  const withReplica = await drive(routed, tenantId, ids);
  const after =
    (await routed.metrics.replicaReads.get()).values.find((v) => v.labels['target'] === 'replica')?.value ??
    0;
  await routed.close();

  const result = {
    tasks,
    clients,
    seconds,
    reads_per_second_primary_only: Math.round(alone),
    reads_per_second_on_replica: Math.round(withReplica),
    share_on_replica: Math.round(((after - before) / (withReplica * seconds)) * 1000) / 1000,
    ratio_replica_vs_primary: Math.round((withReplica / alone) * 100) / 100,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    process.stdout.write(
      `T2 task reads, ${clients} clients: primary only ${result.reads_per_second_primary_only}/s; ` +
        `routed to the replica ${result.reads_per_second_on_replica}/s (${result.share_on_replica * 100}% on the replica) → ` +
        `ratio ${result.ratio_replica_vs_primary} (same machine: both servers share its cores)\n`,
    );
} finally {
  await standby?.destroy();
  await primary.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
