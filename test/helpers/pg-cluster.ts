/**
 * A test-owned PostgreSQL 15 cluster on a free loopback port, in its own temporary directory, that a
 * test may kill (-9), pause (SIGSTOP), resume and restart. Only processes this cluster started are
 * ever signalled: the postmaster's pid from postmaster.pid and its direct children. Since the tests
 * run as root, the server runs as the `postgres` user (initdb refuses root).
 */
import { execFile as execFileCb } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const execFile = promisify(execFileCb);
export const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/** uid and gid of the `postgres` user, which owns the clusters and their files. */
export async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await execFile('id', ['-u', 'postgres']);
  const { stdout: g } = await execFile('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(g.trim()) };
}

/** Runs a PostgreSQL program as the `postgres` user when the tests run as root (the server refuses root). */
export function asPostgres(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (process.getuid?.() === 0) return execFile('runuser', ['-u', 'postgres', '--', command, ...args]);
  return execFile(command, args);
}

/** True while the process exists and is not a zombie (the postmaster is reaped by init, not by us). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface PgClusterOptions {
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string | number>;
}

export class PgCluster {
  readonly root: string;
  readonly dataDir: string;
  readonly port: number;
  private readonly settings: Record<string, string | number>;

  private constructor(root: string, port: number, settings: Record<string, string | number>) {
    this.root = root;
    this.dataDir = join(root, 'data');
    this.port = port;
    this.settings = settings;
  }

  /** initdb (trust auth, loopback only) and start. */
  static async create(options: PgClusterOptions = {}): Promise<PgCluster> {
    const root = await mkdtemp(join(tmpdir(), 'pg-cluster-'));
    await chmod(root, 0o755);
    if (process.getuid?.() === 0) {
      const { uid, gid } = await postgresIds();
      await chown(root, uid, gid);
    }
    const cluster = new PgCluster(root, await freePort(), {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: root,
      max_connections: 40,
      fsync: 'on',
      // Crash recovery in these tests follows kill -9 of the server, not of the OS: no torn pages.
      full_page_writes: 'off',
      wal_level: 'minimal',
      max_wal_senders: 0,
      recovery_init_sync_method: 'syncfs',
      ...options.settings,
    });
    await asPostgres(join(PG_BIN, 'initdb'), [
      '-D',
      cluster.dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
    ]);
    await cluster.start();
    return cluster;
  }

  /**
   * A streaming standby of `primary` (which must run with wal_level replica and WAL senders):
   * `pg_basebackup -R` into a new directory, started on its own port as a hot standby.
   */
  static async standbyOf(primary: PgCluster): Promise<PgCluster> {
    const root = await mkdtemp(join(tmpdir(), 'pg-standby-'));
    await chmod(root, 0o755);
    if (process.getuid?.() === 0) {
      const { uid, gid } = await postgresIds();
      await chown(root, uid, gid);
    }
    const standby = new PgCluster(root, await freePort(), {
      ...primary.settings,
      unix_socket_directories: root,
      hot_standby: 'on',
    });
    await asPostgres(join(PG_BIN, 'pg_basebackup'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      standby.dataDir,
      '-R',
      '-X',
      'stream',
      // A spread checkpoint would pace itself over most of checkpoint_timeout (minutes).
      '--checkpoint=fast',
      '--no-sync',
    ]);
    await standby.start();
    return standby;
  }

  /** Connection URL of a database on this cluster. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections (crash recovery included). */
  async start(): Promise<void> {
    const opts = Object.entries({ port: this.port, ...this.settings })
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    try {
      await asPostgres(join(PG_BIN, 'pg_ctl'), [
        '-D',
        this.dataDir,
        '-l',
        join(this.root, 'server.log'),
        '-o',
        opts,
        '-w',
        '-t',
        '60',
        'start',
      ]);
    } catch (error) {
      // pg_ctl only says "examine the log output"; the log is deleted with the cluster, so say it here.
      const log = await readFile(join(this.root, 'server.log'), 'utf8').catch(() => '');
      const tail = log.trim().split('\n').slice(-8).join('\n');
      throw new Error(`the test cluster on port ${this.port} did not start; server.log ends:\n${tail}`, {
        cause: error,
      });
    }
  }

  /** Clean stop (`-m fast`). */
  async stop(): Promise<void> {
    await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
  }

  /** The postmaster pid, or undefined when the server is not running. */
  async postmasterPid(): Promise<number | undefined> {
    try {
      const text = await readFile(join(this.dataDir, 'postmaster.pid'), 'utf8');
      const pid = Number(text.split('\n')[0]);
      if (!Number.isInteger(pid) || pid <= 0) return undefined;
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  private async processes(): Promise<number[]> {
    const pid = await this.postmasterPid();
    if (pid === undefined) return [];
    let children: number[] = [];
    try {
      const { stdout } = await execFile('pgrep', ['-P', String(pid)]);
      children = stdout.split('\n').filter(Boolean).map(Number);
    } catch {
      // pgrep exits 1 when there are no children.
    }
    return [pid, ...children];
  }

  private async signal(signal: NodeJS.Signals): Promise<number | undefined> {
    const pids = await this.processes();
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
    return pids[0];
  }

  /** kill -9 of the postmaster and its children; resolves once all of them are dead. */
  async kill9(): Promise<void> {
    // Stopped first, the postmaster cannot fork a backend between listing its children and being
    // killed; such a backend would outlive it, keep the shared memory, and the restart would fail.
    const postmaster = await this.postmasterPid();
    if (postmaster !== undefined) {
      try {
        process.kill(postmaster, 'SIGSTOP');
      } catch {
        // Already gone.
      }
    }
    const pids = await this.processes();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (let i = 0; i < 500 && pids.some(isRunning); i += 1) await new Promise((r) => setTimeout(r, 10));
    // The dead postmaster stays a zombie until init reaps it (can take seconds here), and a new
    // postmaster refuses to start while the pid in postmaster.pid exists. Every process is dead.
    if (pids.length > 0 && !pids.some(isRunning)) {
      await rm(join(this.dataDir, 'postmaster.pid'), { force: true });
      await rm(join(this.root, `.s.PGSQL.${this.port}.lock`), { force: true });
    }
  }

  /** Promotes this standby to a primary (`pg_ctl promote -w`: returns once it takes writes). */
  async promote(): Promise<void> {
    await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, '-w', '-t', '60', 'promote']);
  }

  /** SIGSTOP of every server process: connections hang, nothing is refused. */
  async pause(): Promise<void> {
    await this.signal('SIGSTOP');
  }

  async resume(): Promise<void> {
    await this.signal('SIGCONT');
  }

  /** Runs SQL on a database of this cluster with a short-lived client. */
  async query<Row = Record<string, unknown>>(sql: string, values: unknown[] = [], database = 'postgres') {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as Row[];
    } finally {
      await client.end();
    }
  }

  /** Stops the server (killing it if it will not stop) and deletes the directory. */
  async destroy(): Promise<void> {
    await this.resume().catch(() => undefined);
    await this.stop().catch(async () => this.kill9());
    await rm(this.root, { recursive: true, force: true });
  }
}
