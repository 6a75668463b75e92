/**
 * The built service as deployed: `node dist/cli/main.js serve` as a child process with its settings
 * in the environment. The test owns the process: kill9() and sigterm() signal only this pid, and
 * restart() starts it again on the same port and data directory (what a supervisor would do).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SETTING_ENV_NAMES } from '../../../src/config/config.js';
import { freePort } from '../../helpers/free-port.js';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/**
 * Fails when there is no build; warns when src/ changed after it, since the battery then tests
 * older code than the tree holds. @throws Error naming the command to run.
 */
export function ensureBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before this suite`);
  if (newestMtime(join(ROOT, 'src')) > statSync(MAIN).mtimeMs) {
    process.stderr.write(
      'reliability: src/ is newer than dist/ — run `npm run build` to test the current code\n',
    );
  }
}

/** The parent's environment without any of the service's own settings, so only the test's apply. */
function baseEnv(): Record<string, string> {
  const drop = new Set([...SETTING_ENV_NAMES, 'SHANNON_DATA_CONFIG']);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !drop.has(name)) env[name] = value;
  }
  return env;
}

export interface ServiceOptions {
  databaseUrl: string;
  dataDir: string;
  redisUrl?: string;
  /** Further settings (PG_QUERY_TIMEOUT_MS, SHANNON_SPOOL_MAX_BYTES, …). */
  env?: Record<string, string>;
}

export class Service {
  readonly port: number;
  readonly options: ServiceOptions;
  private child: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: null,
    signal: null,
  });
  /** The last 64 KiB the process wrote to stdout/stderr, for failure messages. */
  private output = '';
  /** Exits nobody asked for (neither kill9 nor sigterm), with the log tail at the time. */
  readonly crashes: string[] = [];
  private expectingExit = false;

  private constructor(port: number, options: ServiceOptions) {
    this.port = port;
    this.options = options;
  }

  /** Spawns the service and waits for /readyz. */
  static async start(options: ServiceOptions, readyTimeoutMs = 60_000): Promise<Service> {
    ensureBuilt();
    const service = new Service(await freePort(), options);
    await service.spawn(readyTimeoutMs);
    return service;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get logTail(): string {
    return this.output.slice(-4_000);
  }

  private async spawn(readyTimeoutMs: number): Promise<void> {
    const env: Record<string, string> = {
      ...baseEnv(),
      DATABASE_URL: this.options.databaseUrl,
      SHANNON_DATA_DIR: this.options.dataDir,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...(this.options.redisUrl === undefined ? {} : { REDIS_URL: this.options.redisUrl }),
      ...this.options.env,
    };
    const child = spawn(process.execPath, [MAIN, 'serve'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.expectingExit = false;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-65_536);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (!this.expectingExit) this.crashes.push(`exit ${code ?? signal}: ${this.logTail}`);
        resolve({ code, signal });
      });
    });
    await this.waitReady(readyTimeoutMs);
  }

  /** Polls /readyz until it answers 200. @throws Error with the log tail when it does not. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`the service exited before it was ready:\n${this.logTail}`);
      try {
        const res = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // Not listening yet, or PostgreSQL not answering yet.
      }
      await sleep(100);
    }
    throw new Error(`the service was not ready within ${timeoutMs} ms:\n${this.logTail}`);
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM; resolves with the exit code (the service exits 0 after a clean shutdown). */
  async sigterm(timeoutMs = 40_000): Promise<number | null> {
    if (!this.running) return (await this.exited).code;
    this.expectingExit = true;
    this.child?.kill('SIGTERM');
    const result = await Promise.race([this.exited, sleep(timeoutMs).then(() => undefined)]);
    if (result === undefined) {
      this.child?.kill('SIGKILL');
      await this.exited;
      throw new Error(`the service did not exit within ${timeoutMs} ms of SIGTERM:\n${this.logTail}`);
    }
    return result.code;
  }

  /** Starts the process again on the same port and data directory (after kill9 or sigterm). */
  async restart(readyTimeoutMs = 60_000): Promise<void> {
    if (this.running) await this.kill9();
    await this.spawn(readyTimeoutMs);
  }

  /** Resident set size of the process (KiB), from /proc/<pid>/status VmRSS. */
  rssKiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (match === null) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]);
  }

  /** The /metrics text. */
  async metricsText(): Promise<string> {
    const res = await fetch(`${this.baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.text();
  }

  /** Records in the write path's spool (metric shannon_ingest_spool_records). */
  async spoolRecords(): Promise<number> {
    return metricValue(await this.metricsText(), 'shannon_ingest_spool_records') ?? 0;
  }

  /** Kills the process if it still runs; for `finally` blocks. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.child?.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Sum of the samples of `name` whose labels include every pair of `labels`, in Prometheus text.
 * Returns undefined when no sample matches.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null || match[1] !== name) continue;
    const sampleLabels = new Map<string, string>();
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      sampleLabels.set(pair[1] as string, pair[2] as string);
    }
    if (Object.entries(labels).every(([k, v]) => sampleLabels.get(k) === v)) {
      sum = (sum ?? 0) + Number(match[3]);
    }
  }
  return sum;
}
