/**
 * A test-owned redis-server on a free loopback port: no persistence, its own working directory,
 * and only its own pid is ever signalled (pause = SIGSTOP, resume = SIGCONT, stop = SIGTERM, then
 * SIGKILL if it will not go).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One PING over a raw socket; true when +PONG arrives within `timeoutMs`. */
function ping(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => done(chunk.toString().startsWith('+PONG')));
    socket.on('error', () => done(false));
  });
}

export class RedisServer {
  readonly port: number;
  private readonly child: ChildProcess;
  private readonly dir: string;
  private readonly exited: Promise<void>;

  private constructor(port: number, child: ChildProcess, dir: string) {
    this.port = port;
    this.child = child;
    this.dir = dir;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts redis-server and waits until it answers PING. */
  static async start(): Promise<RedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'reliability-redis-'));
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    const server = new RedisServer(port, child, dir);
    for (let i = 0; i < 100; i += 1) {
      if (await ping(port, 200)) return server;
      await sleep(50);
    }
    await server.stop();
    throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Stops the server (resuming it first, so SIGTERM is handled) and removes its directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGCONT');
      this.child.kill('SIGTERM');
      const gone = await Promise.race([this.exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!gone) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
