/**
 * PostgreSQL's own client programs (pg_dump, pg_restore) as the backup runs them: found for the
 * server's major version (Debian keeps each version's in /usr/lib/postgresql/<major>/bin), checked
 * to be at least as new as the server (an older pg_dump refuses a newer server), run with the
 * password in the environment rather than on the command line (where `ps` shows it), and failing
 * with their own message.
 */
import { execFile as execFileCb, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ShannonError } from '../errors/errors.js';

const execFile = promisify(execFileCb);
const DEBIAN_ROOT = '/usr/lib/postgresql';

export interface PgTool {
  name: string;
  path: string;
  major: number;
}

function failed(message: string, details: Record<string, unknown> = {}): ShannonError {
  return new ShannonError('BACKUP_TOOL_FAILED', message, { details });
}

async function versionOf(path: string): Promise<number | undefined> {
  try {
    const { stdout } = await execFile(path, ['--version']);
    const match = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * The newest usable `name` for a server of `serverMajor`: in `binDir` when given (and only
 * there), else Debian's per-version directories (the server's own version first), else PATH.
 * @throws ShannonError BACKUP_TOOL_FAILED when none is found or the one found is older than the server.
 */
export async function findPgTool(name: string, serverMajor: number, binDir?: string): Promise<PgTool> {
  const candidates: string[] = [];
  if (binDir !== undefined) candidates.push(join(binDir, name));
  else {
    const versions = existsSync(DEBIAN_ROOT)
      ? readdirSync(DEBIAN_ROOT)
          .filter((v) => /^\d+$/.test(v))
          .map(Number)
          .sort((a, b) => (a === serverMajor ? -1 : b === serverMajor ? 1 : b - a))
      : [];
    for (const v of versions) candidates.push(join(DEBIAN_ROOT, String(v), 'bin', name));
    candidates.push(name);
  }
  let newest: PgTool | undefined;
  for (const path of candidates) {
    if (path.includes('/') && !existsSync(path)) continue;
    const major = await versionOf(path);
    if (major === undefined) continue;
    if (major >= serverMajor) return { name, path, major };
    if (newest === undefined || major > newest.major) newest = { name, path, major };
  }
  const where = binDir === undefined ? `${DEBIAN_ROOT}/*/bin or PATH` : binDir;
  throw failed(
    newest === undefined
      ? `${name} was not found (looked in ${where}); install the PostgreSQL client programs (Debian: postgresql-client-${serverMajor}) or set SHANNON_PG_BIN_DIR`
      : `${name} ${newest.major} (${newest.path}) cannot handle a PostgreSQL ${serverMajor} server; install postgresql-client-${serverMajor} or set SHANNON_PG_BIN_DIR`,
    { tool: name, server_major: serverMajor },
  );
}

/** The URL without its password, and the environment that carries the password to libpq. */
export function libpqConnection(
  url: string,
  sslMode: string | undefined,
): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = {};
  if (parsed.password !== '') env['PGPASSWORD'] = decodeURIComponent(parsed.password);
  parsed.password = '';
  if (!parsed.searchParams.has('sslmode') && sslMode !== undefined) env['PGSSLMODE'] = sslMode;
  return { dbname: parsed.toString(), env };
}

/**
 * Runs a tool to completion, handing each stderr line to `onLine` (progress, verbose output).
 * @throws ShannonError BACKUP_TOOL_FAILED with the tool's last stderr lines when it exits non-zero.
 */
export function runPgTool(
  tool: PgTool,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool.path, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const tail: string[] = [];
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        onLine?.(line);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    });
    child.once('error', (error) => reject(failed(`${tool.name} could not be started: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (partial !== '') tail.push(partial);
      if (code === 0) resolve();
      else {
        const errors = tail.filter(
          (l) =>
            !/: (dumping|processing|reading|creating|restoring|launching|finished|saving|executing|last built-in|identifying|flagging|connecting|entering|implied)/.test(
              l,
            ),
        );
        reject(
          failed(
            `${tool.name} exited with ${code ?? signal}: ${(errors.length > 0 ? errors : tail).slice(-5).join(' | ')}`,
            {
              tool: tool.name,
              exit: code ?? signal,
            },
          ),
        );
      }
    });
  });
}
