/**
 * Point-in-time recovery as docs/operations.md ("Point-in-time recovery") describes it, with the
 * real pgBackRest (Debian `pgbackrest`) on a test-owned cluster: WAL archived continuously by
 * `archive-push`, a full base backup, rows written before and after a chosen moment, then
 * `restore --type=time` to that moment: the rows from before are there, those from after are not.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { asPostgres, PgCluster, postgresIds } from '../helpers/pg-cluster.js';

const PGBACKREST = '/usr/bin/pgbackrest';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function one<Row>(cluster: PgCluster, sql: string): Promise<Row> {
  const rows = await cluster.query<Row>(sql);
  return rows[0]!;
}

test('pgBackRest: archived WAL and a base backup recover the database to a chosen moment', {
  skip: existsSync(PGBACKREST) ? false : `${PGBACKREST} is not installed (Debian pgbackrest)`,
}, async () => {
  const root = await mkdtemp(join(tmpdir(), 'pitr-'));
  const repo = join(root, 'repo');
  const conf = join(root, 'pgbackrest.conf');
  let cluster: PgCluster | undefined;
  try {
    await mkdir(repo);
    await mkdir(join(root, 'log'));
    await mkdir(join(root, 'lock'));
    if (process.getuid?.() === 0) {
      const { uid, gid } = await postgresIds();
      for (const dir of [root, repo, join(root, 'log'), join(root, 'lock')]) await chown(dir, uid, gid);
    }
    const archive = `${PGBACKREST} --config=${conf} --stanza=shannon archive-push %p`;
    cluster = await PgCluster.create({
      settings: {
        wal_level: 'replica',
        archive_mode: 'on',
        archive_command: `'${archive}'`,
        max_wal_senders: 2,
      },
    });
    await writeFile(
      conf,
      [
        '[global]',
        `repo1-path=${repo}`,
        'repo1-retention-full=1',
        `log-path=${join(root, 'log')}`,
        `lock-path=${join(root, 'lock')}`,
        'log-level-console=warn',
        'start-fast=y',
        '[shannon]',
        `pg1-path=${cluster.dataDir}`,
        `pg1-port=${cluster.port}`,
        `pg1-socket-path=${cluster.root}`,
        'pg1-user=postgres',
        '',
      ].join('\n'),
    );
    const backrest = (...args: string[]) =>
      asPostgres(PGBACKREST, [`--config=${conf}`, '--stanza=shannon', ...args]);
    await backrest('stanza-create');
    await backrest('backup', '--type=full');
    // pgBackRest records the backup's stop time in whole seconds; the target must come after it.
    await sleep(1_100);

    await cluster.query('CREATE TABLE ledger (id int PRIMARY KEY, phase text NOT NULL)');
    await cluster.query(`INSERT INTO ledger SELECT g, 'before' FROM generate_series(1, 100) g`);
    const { target } = await one<{ target: string }>(cluster, `SELECT now()::text AS target`);
    await sleep(1_100);
    await cluster.query(`INSERT INTO ledger SELECT g, 'after' FROM generate_series(101, 150) g`);
    await cluster.query(`DELETE FROM ledger WHERE id <= 10`);
    // Close the WAL segment so it is archived, and wait for the archiver to have pushed it.
    const { segment } = await one<{ segment: string }>(
      cluster,
      `SELECT pg_walfile_name(pg_switch_wal()) AS segment`,
    );
    for (let i = 0; i < 100; i += 1) {
      const { last } = await one<{ last: string | null }>(
        cluster,
        `SELECT last_archived_wal AS last FROM pg_stat_archiver`,
      );
      if (last !== null && last >= segment) break;
      if (i === 99) throw new Error(`segment ${segment} was never archived (last ${last})`);
      await sleep(100);
    }
    await cluster.stop();

    await backrest('restore', '--delta', '--type=time', `--target=${target}`, '--target-action=promote');
    await cluster.start();
    // The server takes connections during recovery (hot standby); it promotes once at the target.
    for (let i = 0; ; i += 1) {
      const { recovering } = await one<{ recovering: boolean }>(
        cluster,
        'SELECT pg_is_in_recovery() AS recovering',
      );
      if (!recovering) break;
      if (i === 300) throw new Error('the restored cluster never left recovery (target not reached?)');
      await sleep(100);
    }
    const rows = await cluster.query<{ phase: string; n: string }>(
      `SELECT phase, count(*) AS n FROM ledger GROUP BY phase ORDER BY phase`,
    );
    assert.deepEqual(
      rows.map((r) => [r.phase, Number(r.n)]),
      [['before', 100]],
      'recovered to the moment: every row from before, none written or deleted after',
    );
  } finally {
    await cluster?.destroy();
    await rm(root, { recursive: true, force: true });
  }
});
