/**
 * `backup create|verify|restore` on a seeded database, through the CLI as an operator runs it:
 * a signed backup taken while writes continue restores into an empty database with every table
 * equal (rows and content checksum, from pg_dump's own snapshot); a corrupted file is named by
 * `verify` and stops `restore` before it touches anything; a tampered manifest, an unsigned backup
 * and a non-empty target are refused. The Qdrant side (snapshot, download, upload with checksum)
 * runs against each vendored OpenAPI document's contract stand-in.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type SeedOptions, seedDatabase } from '../../src/devtools/seed/seed-database.js';
import { QdrantHttp } from '../../src/memory/qdrant/qdrant-http.js';
import { createBackup, restoreBackup } from '../../src/ops/backup.js';
import { runCli } from '../helpers/cli.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { QDRANT_VERSIONS, QdrantContractServer } from '../helpers/qdrant-contract-server.js';

const KEY = 'backup-test-key-0123456789abcdef0123456789';
const SEED: SeedOptions = {
  tenants: 2,
  usersPerTenant: 5,
  sessions: 100,
  tasks: 600,
  eventsPerTask: 4,
  tokenUsagePerTask: 2,
  agentExecutionsPerTask: 1,
  toolExecutionsPerAgent: 1,
  months: 3,
  seed: 'backup-test',
  batchTasks: 300,
};

let source: TestDatabase;
const targets: TestDatabase[] = [];
let work: string;

before(async () => {
  source = await createTestDatabase();
  await seedDatabase(source.db, SEED);
  work = await mkdtemp(join(tmpdir(), 'backup-test-'));
});

after(async () => {
  for (const t of targets) await t.drop();
  await source?.drop();
  await rm(work, { recursive: true, force: true });
});

async function emptyTarget(): Promise<TestDatabase> {
  const t = await createTestDatabase({ migrate: false });
  targets.push(t);
  return t;
}

const env = (url: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: url,
  SHANNON_ARCHIVE_KEY: KEY,
  SHANNON_DATA_DIR: work,
  ...extra,
});

async function tableCount(url: string): Promise<number> {
  const t = targets.find((x) => x.url === url) ?? source;
  const { rows } = await t.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
  );
  return Number(rows[0]!.n);
}

describe('backup of PostgreSQL through the CLI', () => {
  let dir: string;
  let manifest: {
    tables: Array<{ table: string; rows: number }>;
    files: Array<{ path: string }>;
    signature: string;
  };

  test('a signed backup taken while writes continue restores equal, table by table', async () => {
    dir = join(work, 'full');
    const tenant = await createTenant(source.db);
    // Writes keep landing while pg_dump runs: the manifest must describe exactly the snapshot dumped.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i += 1) {
        await source.db.query(
          `INSERT INTO public.event_logs (tenant_id, workflow_id, type, message, idempotency_key, created_at)
           VALUES ($1, 'wf-during-backup', 'T', $2, $2, now())`,
          [tenant, `during-${i}-${randomUUID()}`],
        );
      }
    })();
    const created = await runCli(
      ['backup', 'create', '--dir', dir, '--jobs', '2', '--json'],
      env(source.url),
    );
    writing = false;
    await writer;
    assert.equal(created.code, 0, created.stderr);
    manifest = JSON.parse(created.stdout);
    assert.match(manifest.signature, /^hmac-sha256:[0-9a-f]{64}$/);
    const events = manifest.tables.find((t) => t.table === 'public.event_logs')!;
    assert.ok(events.rows > SEED.tasks * 2, `event_logs has ${events.rows} rows in the manifest`);
    assert.ok(manifest.tables.some((t) => t.table === 'auth.tenants'));

    const verified = await runCli(['backup', 'verify', '--dir', dir, '--json'], env(source.url));
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal(JSON.parse(verified.stdout).signature, 'verified');

    const target = await emptyTarget();
    const restored = await runCli(['backup', 'restore', '--dir', dir, '--json'], env(target.url));
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    const report = JSON.parse(restored.stdout) as {
      equal: boolean;
      tables: Array<{ table: string; rows: number; equal: boolean }>;
    };
    assert.equal(report.equal, true);
    assert.deepEqual(
      report.tables.filter((t) => !t.equal),
      [],
    );
    assert.equal(report.tables.length, manifest.tables.length);
    // Independent of the manifest: the restored rows are the source's as of the snapshot.
    const { rows } = await target.db.query<{ n: string }>(`SELECT count(*) AS n FROM public.task_executions`);
    assert.equal(Number(rows[0]!.n), manifest.tables.find((t) => t.table === 'public.task_executions')!.rows);
    const forced = await target.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_class WHERE relname = 'task_executions' AND relforcerowsecurity`,
    );
    assert.equal(Number(forced.rows[0]!.n), 1, 'row-level security comes back forced');
  });

  test('a corrupted file is named by verify and stops restore before anything is written', async () => {
    const broken = join(work, 'broken');
    await runCli(['backup', 'create', '--dir', broken], env(source.url)).then((r) =>
      assert.equal(r.code, 0, r.stderr),
    );
    const dataFiles = (await readdir(join(broken, 'postgres'))).filter((f) => f.endsWith('.dat.gz')).sort();
    const victim = `postgres/${dataFiles[Math.floor(dataFiles.length / 2)]}`;
    const bytes = await readFile(join(broken, victim));
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await writeFile(join(broken, victim), bytes);

    const verified = await runCli(['backup', 'verify', '--dir', broken], env(source.url));
    assert.equal(verified.code, 1);
    assert.match(verified.stdout, new RegExp(`${victim.replace('.', '\\.')}: content differs`));

    const target = await emptyTarget();
    const restored = await runCli(['backup', 'restore', '--dir', broken, '--json'], env(target.url));
    assert.equal(restored.code, 3);
    const error = JSON.parse(restored.stderr).error as { code: string; details: { file: string } };
    assert.equal(error.code, 'BACKUP_INVALID');
    assert.equal(error.details.file, victim);
    assert.equal(await tableCount(target.url), 0, 'the target was not touched');
  });

  test('a tampered manifest, an unsigned backup and a non-empty target are refused', async () => {
    const tampered = join(work, 'tampered');
    await runCli(['backup', 'create', '--dir', tampered], env(source.url)).then((r) =>
      assert.equal(r.code, 0, r.stderr),
    );
    const path = join(tampered, 'backup.json');
    const body = JSON.parse(await readFile(path, 'utf8'));
    body.tables[0].rows += 1;
    await writeFile(path, JSON.stringify(body));
    const verified = await runCli(['backup', 'verify', '--dir', tampered, '--json'], env(source.url));
    assert.equal(verified.code, 3);
    assert.equal(JSON.parse(verified.stderr).error.code, 'BACKUP_INVALID');

    const unsigned = join(work, 'unsigned');
    const made = await runCli(['backup', 'create', '--dir', unsigned], {
      ...env(source.url),
      SHANNON_ARCHIVE_KEY: undefined,
    } as never);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /NOT signed/);
    const target = await emptyTarget();
    const refused = await runCli(['backup', 'restore', '--dir', unsigned, '--json'], env(target.url));
    assert.equal(refused.code, 3);
    assert.equal(JSON.parse(refused.stderr).error.code, 'BACKUP_INVALID');
    assert.equal(await tableCount(target.url), 0);

    const intoSource = await runCli(['backup', 'restore', '--dir', dir, '--json'], env(source.url));
    assert.equal(intoSource.code, 3);
    assert.equal(JSON.parse(intoSource.stderr).error.code, 'BACKUP_TARGET_NOT_EMPTY');
  });
});

for (const version of QDRANT_VERSIONS) {
  test(`Qdrant collections are snapshotted and recovered with their checksum (${version} OpenAPI document)`, async () => {
    const from = await new QdrantContractServer(version).start();
    const to = await new QdrantContractServer(version).start();
    try {
      from.collections.set('cases_v1', {
        params: { vectors: { size: 4, distance: 'Cosine' } },
        points: new Map([
          [
            '00000000-0000-4000-8000-000000000001',
            { vector: [1, 0, 0, 0], payload: { tenant_id: 't' }, version: 1 },
          ],
        ]),
        payloadSchema: new Map([['tenant_id', 'keyword']]),
      });
      const dir = join(work, `qdrant-${version}`);
      const manifest = await createBackup({
        db: source.db,
        directory: dir,
        jobs: 1,
        key: KEY,
        vectors: {
          backend: 'qdrant',
          http: new QdrantHttp({ url: from.url }),
          collections: [{ collection: 'cases', physical: 'cases_v1' }],
        },
      });
      assert.deepEqual(manifest.vectors, {
        backend: 'qdrant',
        collections: [{ collection: 'cases', physical: 'cases_v1', file: 'vectors/cases_v1.snapshot' }],
      });
      assert.equal(from.snapshots.size, 0, 'the snapshot is deleted from the server once downloaded');
      const target = await emptyTarget();
      const report = await restoreBackup({
        db: target.db,
        directory: dir,
        jobs: 1,
        key: KEY,
        qdrant: new QdrantHttp({ url: to.url }),
      });
      assert.equal(report.equal, true);
      assert.deepEqual(report.vectors, { backend: 'qdrant', restored: 1 });
      assert.deepEqual(
        [...(to.collections.get('cases_v1')?.points.keys() ?? [])],
        ['00000000-0000-4000-8000-000000000001'],
      );
      const upload = to.requests.find((r) => r.path.endsWith('/snapshots/upload'))!;
      assert.equal(upload.query['priority'], 'snapshot');
      assert.match(upload.query['checksum'] ?? '', /^[0-9a-f]{64}$/);
      assert.deepEqual([...from.violations, ...to.violations], []);
    } finally {
      await from.stop();
      await to.stop();
    }
  });
}
