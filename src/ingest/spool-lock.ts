/**
 * The spool's LOCK file: one process at a time may append to or replay a spool directory. The lock
 * is taken lazily, at the first append or replay (spool.ts), so a second process on the same data
 * directory (a CLI command beside the service) can start; it cannot spool while the other one
 * holds the lock. A LOCK file naming a process that is gone is taken over.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ShannonError } from '../errors/errors.js';
import { unreachable } from './unreachable.js';

type LockState =
  /** The LOCK file is not ours. */
  | { readonly state: 'unlocked' }
  /** Checking the LOCK file's owner and writing our pid; it is not ours yet. */
  | { readonly state: 'taking'; readonly done: Promise<void> }
  /** The LOCK file is ours (written, or being written again) and the spool is being indexed. */
  | { readonly state: 'indexing'; readonly done: Promise<void> }
  /** The LOCK file is ours, but indexing failed: the next ensure() takes it and indexes again. */
  | { readonly state: 'unindexed' }
  /** The LOCK file is ours and the spool indexed since. */
  | { readonly state: 'locked' };

const UNLOCKED: LockState = { state: 'unlocked' };
const UNINDEXED: LockState = { state: 'unindexed' };
const LOCKED: LockState = { state: 'locked' };

export class SpoolLock {
  private readonly path: string;
  private current: LockState = UNLOCKED;

  /**
   * @param dir the spool directory (the lock is `<dir>/LOCK`).
   * @param index re-reads the spool once the lock is taken: the previous owner may have changed it.
   */
  constructor(
    private readonly dir: string,
    private readonly index: () => Promise<void>,
  ) {
    this.path = join(dir, 'LOCK');
  }

  /** True once this process has written the LOCK file (it then removes stale progress files). */
  get held(): boolean {
    const lock = this.current;
    switch (lock.state) {
      case 'unlocked':
      case 'taking':
        return false;
      case 'indexing':
      case 'unindexed':
      case 'locked':
        return true;
      default:
        return unreachable(lock, 'spool lock state');
    }
  }

  /**
   * Takes the lock (once) and re-indexes the spool.
   * @throws ShannonError SPOOL_FAILED when another live process holds it.
   */
  ensure(): Promise<void> {
    const lock = this.current;
    switch (lock.state) {
      case 'locked':
        return Promise.resolve();
      // Single flight: the writer and the replayer may both ask first; indexing twice would list
      // every segment twice.
      case 'taking':
      case 'indexing':
        return lock.done;
      case 'unlocked':
      case 'unindexed': {
        const done = this.take().then(
          () => {
            this.current = LOCKED;
          },
          (error: unknown) => {
            this.current = this.held ? UNINDEXED : UNLOCKED;
            throw error;
          },
        );
        this.current = lock.state === 'unlocked' ? { state: 'taking', done } : { state: 'indexing', done };
        return done;
      }
      default:
        return unreachable(lock, 'spool lock state');
    }
  }

  private async take(): Promise<void> {
    try {
      const owner = Number((await readFile(this.path, 'utf8')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new ShannonError('SPOOL_FAILED', `the spool ${this.dir} is in use by process ${owner}`, {
          details: { dir: this.dir, pid: owner },
        });
      }
    } catch (error) {
      if (error instanceof ShannonError) throw error;
    }
    await writeFile(this.path, `${process.pid}\n`);
    const lock = this.current;
    if (lock.state === 'taking') this.current = { state: 'indexing', done: lock.done };
    await this.index();
  }

  /** Removes the LOCK file if this process wrote it (Spool.close()). */
  async release(): Promise<void> {
    if (this.held) await unlink(this.path).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
