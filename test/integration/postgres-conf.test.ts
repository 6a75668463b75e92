/**
 * deploy/postgres/postgresql.conf (the compose deployment's settings) is valid for PostgreSQL 15:
 * a fresh cluster starts with it (on loopback, a free port, instead of its listen_addresses), the
 * settings are in force, and the toolkit's extensions load (pg_stat_statements needs the preload).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile as execFileCb, spawn } from 'node:child_process';
import { chmod, chown, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../helpers/free-port.js';
import { PG_BIN } from '../helpers/pg-cluster.js';

const execFile = promisify(execFileCb);
const CONF = join(import.meta.dirname, '../../deploy/postgres/postgresql.conf');

describe('deploy/postgres/postgresql.conf', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let client: pg.Client;
  let log = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shannon-pgconf-'));
    // initdb and postgres refuse to run as root; then they run as the `postgres` user.
    let ids = {};
    if (process.getuid?.() === 0) {
      const uid = Number((await execFile('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await execFile('id', ['-g', 'postgres'])).stdout.trim());
      await chown(dir, uid, gid);
      ids = { uid, gid };
    }
    const conf = join(dir, 'postgresql.conf');
    await copyFile(CONF, conf);
    await chmod(conf, 0o644);
    const data = join(dir, 'data');
    await execFile(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres'], ids);
    const port = await freePort();
    const args = [
      '-D',
      data,
      '-c',
      `config_file=${conf}`,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `port=${port}`,
      '-c',
      `unix_socket_directories=${dir}`,
      // The test machine is shared: the conf's 1 GB would be reserved for nothing here.
      '-c',
      'shared_buffers=32MB',
    ];
    server = spawn(join(PG_BIN, 'postgres'), args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const until = Date.now() + 30_000;
    for (;;) {
      client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      try {
        await client.connect();
        break;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (Date.now() > until || server.exitCode !== null)
          throw new Error(`postgres did not start: ${log}`, { cause: error });
        await sleep(200);
      }
    }
  });

  after(async () => {
    await client?.end().catch(() => undefined);
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGINT'); // fast shutdown
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('starts PostgreSQL with its settings in force', async () => {
    const show = async (name: string) =>
      (await client.query<{ setting: string }>('SELECT current_setting($1) AS setting', [name])).rows[0]
        ?.setting;
    assert.match((await show('shared_preload_libraries')) ?? '', /pg_stat_statements/);
    assert.equal(await show('max_connections'), '200');
    assert.equal(await show('synchronous_commit'), 'on');
    assert.equal(await show('jit'), 'off');
    assert.equal(await show('pg_stat_statements.track'), 'all');
    assert.equal(await show('idle_in_transaction_session_timeout'), '1min');
  });

  it('loads pg_stat_statements and hypopg', async () => {
    await client.query('CREATE EXTENSION pg_stat_statements');
    await client.query('CREATE EXTENSION hypopg');
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_statements');
    assert.ok(Number(rows[0]?.n) > 0, 'pg_stat_statements collects (it is preloaded)');
  });
});
