/**
 * A server process a test started and owns (Prometheus, PgBouncer): its port, the tail of its
 * output for assertion messages, and a stop that ends only this process (SIGTERM, then SIGKILL
 * after `killAfterMs`) and removes its working directory.
 */
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

export class OwnedProcess {
  readonly port: number;
  protected readonly child: ChildProcess;
  protected readonly dir: string;
  private output = '';

  protected constructor(port: number, child: ChildProcess, dir: string) {
    this.port = port;
    this.child = child;
    this.dir = dir;
    child.stdout?.on('data', (d: Buffer) => this.append(d));
    child.stderr?.on('data', (d: Buffer) => this.append(d));
  }

  private append(data: Buffer): void {
    this.output = (this.output + data.toString()).slice(-16_384);
  }

  /** The last 16 KiB of its output. */
  get log(): string {
    return this.output;
  }

  /** Ends the process (SIGTERM, SIGKILL after `killAfterMs`) and removes its directory. */
  async stop(killAfterMs = 10_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const forced = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(forced);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
