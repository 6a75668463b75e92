/**
 * A test-owned PgBouncer (Debian's `pgbouncer`) in front of a PostgreSQL server, on a free
 * loopback port, in transaction mode unless told otherwise. PgBouncer refuses to run as root, so
 * under root it runs as `postgres`; `stop()` signals only its own pid.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { OwnedProcess } from './owned-process.js';

export const PGBOUNCER_BIN = process.env['PGBOUNCER_BIN'] ?? '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** The server behind it. */
  targetHost?: string;
  targetPort: number;
  poolMode?: 'session' | 'transaction';
  /** Server connections per database/user pair. */
  poolSize?: number;
}

export class PgBouncer extends OwnedProcess {
  /** A URL of `database` through the pooler. */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  static async start(options: PgBouncerOptions): Promise<PgBouncer> {
    const dir = await mkdtemp(join(tmpdir(), 'pgbouncer-'));
    await chmod(dir, 0o777);
    const port = await freePort();
    const ini = join(dir, 'pgbouncer.ini');
    await writeFile(
      ini,
      [
        '[databases]',
        // Every database of the server, as the server's superuser (the tests' trust setup).
        `* = host=${options.targetHost ?? '127.0.0.1'} port=${options.targetPort} user=postgres`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = any',
        // The admin console (database `pgbouncer`), for SHOW STATS.
        'admin_users = postgres',
        // SHOW STATS totals are refreshed this often (seconds).
        'stats_period = 1',
        `pool_mode = ${options.poolMode ?? 'transaction'}`,
        'max_client_conn = 1000',
        `default_pool_size = ${options.poolSize ?? 10}`,
        // What node-postgres sends at connect time besides user and database.
        'ignore_startup_parameters = extra_float_digits',
        '',
      ].join('\n'),
    );
    await chmod(ini, 0o644);
    const asRoot = process.getuid?.() === 0;
    const child = asRoot
      ? spawn('runuser', ['-u', 'postgres', '--', PGBOUNCER_BIN, ini], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(PGBOUNCER_BIN, [ini], { stdio: ['ignore', 'pipe', 'pipe'] });
    const bouncer = new PgBouncer(port, child, dir);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new pg.Client({ connectionString: bouncer.url('postgres') });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return bouncer;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > deadline) {
          await bouncer.stop();
          throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${bouncer.log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}
