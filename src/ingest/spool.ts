/**
 * The local spool: append-only segment files under `<dataDir>/spool/`. An append is acknowledged
 * only after its frame is written and the file fsynced; concurrent appends share one write and one
 * fsync (group commit). An fsync or write failure seals the segment for good (the fsyncgate lesson:
 * never retry fsync on the same file) and fails every append in that group. Segments are replayed
 * oldest first and deleted once their records are committed. Total size is bounded; a full spool
 * answers with BackpressureError. Beside each segment the replayer records how many of its leading
 * frames are committed (spool-progress.ts), and the spool keeps, in memory, which workflows still
 * have task updates in it (spooled-task-keys.ts), so that new updates of other workflows may be
 * written directly while replay proceeds.
 */

import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_SPOOL_MAX_BYTES } from '../config/config.js';
import { BackpressureError, ShannonError } from '../errors/errors.js';
import type { IngestRecord } from './record-kinds.js';
import {
  readSegment,
  type SegmentContent,
  type SegmentFile,
  syncDirectory,
  writeFully,
} from './segment-file.js';
import { encodeFrame } from './spool-frame.js';
import { SpoolLock } from './spool-lock.js';
import { appendProgress, progressFileName, readProgress, segmentOfProgressFile } from './spool-progress.js';
import { countTaskUpdates, SpooledTaskKeys, taskUpdates } from './spooled-task-keys.js';
import { unreachable } from './unreachable.js';

export const DEFAULT_SPOOL_SEGMENT_MAX_BYTES = 16 * 1024 * 1024;
const SEGMENT_PATTERN = /^segment-(\d{16})\.log$/;

export type { SegmentContent, SegmentFile } from './segment-file.js';

export interface SpoolOptions {
  /** Directory of the segment files (created if absent). */
  dir: string;
  maxBytes?: number;
  segmentMaxBytes?: number;
  /** Called when a segment is sealed after a failed write or fsync. */
  onSealedByFailure?: (segment: string, error: unknown) => void;
  /** Creates a new segment file (default: `open(path, 'ax')`). */
  createSegmentFile?: (path: string) => Promise<SegmentFile>;
}

interface SegmentInfo {
  name: string;
  bytes: number;
  records: number;
}

interface PendingAppend {
  frame: Buffer;
  records: number;
  /** The append's task updates, counted in `taskKeys` from the moment append() was called. */
  tasks: IngestRecord[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Records and bytes on disk, and the segment count. */
export interface SpoolStats {
  records: number;
  bytes: number;
  segments: number;
}

/**
 * The appends' side of the spool: idle, writing groups of pending appends (`loop` ends when none is
 * left), or closed (appends are refused; nothing is being written).
 */
type AppendState =
  | { readonly state: 'idle' }
  | { readonly state: 'writing'; readonly loop: Promise<void> }
  | { readonly state: 'closed' };

const IDLE: AppendState = { state: 'idle' };
const CLOSED: AppendState = { state: 'closed' };

export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly segmentMaxBytes: number;
  private readonly onSealedByFailure: SpoolOptions['onSealedByFailure'];
  /** Every segment on disk, oldest first; the last one may be the active one. */
  private readonly segments: SegmentInfo[] = [];
  private active: { info: SegmentInfo; handle: SegmentFile } | undefined;
  private readonly createSegmentFile: (path: string) => Promise<SegmentFile>;
  private nextSequence = 1;
  private pending: PendingAppend[] = [];
  private appends: AppendState = IDLE;
  private readonly lock: SpoolLock;
  /** Committed leading frames per segment, as recorded in its progress file. */
  private readonly progress = new Map<string, number>();
  /** Progress files whose directory entry this process has fsynced. */
  private readonly progressDirSynced = new Set<string>();
  /** Progress appends, one after another (a removal waits for them before deleting the file). */
  private progressWrites: Promise<void> = Promise.resolve();
  private readonly taskKeys = new SpooledTaskKeys();

  private constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.segmentMaxBytes = options.segmentMaxBytes ?? DEFAULT_SPOOL_SEGMENT_MAX_BYTES;
    this.onSealedByFailure = options.onSealedByFailure;
    this.createSegmentFile = options.createSegmentFile ?? ((path) => open(path, 'ax'));
    this.lock = new SpoolLock(this.dir, () => this.index());
  }

  /**
   * Opens the spool and indexes the segments left by an earlier run (they are never appended to
   * again). The lock file is taken lazily, at the first append or replay, so a second process on the
   * same data directory (a CLI command beside the service) can start; it cannot spool while the
   * other one holds the lock.
   */
  static async open(options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(options);
    await mkdir(spool.dir, { recursive: true });
    await spool.index();
    return spool;
  }

  /**
   * Lists the segment files. The list is built aside and swapped in at the end: while it is being
   * built the spool must not look empty, or a flush would write past older spooled records.
   */
  private async index(): Promise<void> {
    const segments: SegmentInfo[] = [];
    const progress = new Map<string, number>();
    const taskKeys = new Map<string, Map<string, number>>();
    const names = (await readdir(this.dir)).sort();
    const segmentNames = new Set(names.filter((n) => SEGMENT_PATTERN.test(n)));
    for (const name of names) {
      const progressFile = segmentOfProgressFile(name);
      if (progressFile !== undefined) {
        // A segment's number is never given out again while its progress file exists, and a
        // progress file whose segment is gone (a crash between the two deletions) is removed by
        // the lock holder: a new segment must never inherit another's progress.
        this.nextSequence = Math.max(this.nextSequence, progressFile.sequence + 1);
        if (this.lock.held && !segmentNames.has(progressFile.segment))
          await unlink(join(this.dir, name)).catch(() => undefined);
        continue;
      }
      const match = SEGMENT_PATTERN.exec(name);
      if (match === null) continue;
      let content: SegmentContent;
      let bytes: number;
      let committed: number;
      try {
        committed = await readProgress(join(this.dir, progressFileName(name)));
        content = await this.read(name);
        bytes = (await stat(join(this.dir, name))).size;
      } catch (error) {
        // Replayed and removed meanwhile by the process that holds the lock.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const frames = Math.min(committed, content.batches.length);
      segments.push({ name, bytes, records: content.batches.reduce((n, b) => n + b.length, 0) });
      progress.set(name, frames);
      taskKeys.set(name, countTaskUpdates(content.batches.slice(frames)));
      this.nextSequence = Math.max(this.nextSequence, Number(match[1]) + 1);
    }
    this.segments.splice(0, this.segments.length, ...segments);
    this.progress.clear();
    for (const [name, frames] of progress) this.progress.set(name, frames);
    this.taskKeys.replaceSegments(taskKeys);
  }

  /**
   * Takes the lock file (once); re-indexes the segments, which the previous owner may have changed.
   * @throws ShannonError SPOOL_FAILED when another live process holds it.
   */
  ensureLocked(): Promise<void> {
    return this.lock.ensure();
  }

  /** Records and bytes on disk, and the segment count. */
  stats(): SpoolStats {
    let records = 0;
    let bytes = 0;
    for (const s of this.segments) {
      records += s.records;
      bytes += s.bytes;
    }
    return { records, bytes, segments: this.segments.length };
  }

  /** True when no segment holds records and no append is in progress. */
  isEmpty(): boolean {
    return this.pending.length === 0 && this.writing() === undefined && this.stats().records === 0;
  }

  /**
   * True when the spool holds a task update of this record's workflow (tenant and workflow_id)
   * that replay has not committed yet, counting appends still being written.
   */
  holdsTaskUpdate(record: IngestRecord): boolean {
    return this.taskKeys.holds(record);
  }

  /** Leading frames of a segment known to be committed (from its progress file or this process). */
  committedFrames(name: string): number {
    return this.progress.get(name) ?? 0;
  }

  /**
   * Records that the first `frames` frames of a segment are committed (an entry in its progress
   * file); with `durable`, the entry and the file's directory entry are fsynced first.
   * @returns false when the entry could not be written (the caller must then assume it was not).
   */
  recordProgress(name: string, frames: number, options: { durable: boolean }): Promise<boolean> {
    if (!this.segments.some((s) => s.name === name)) return Promise.resolve(false);
    if (frames > this.committedFrames(name)) this.progress.set(name, frames);
    const write = this.progressWrites.then(async () => {
      await appendProgress(join(this.dir, progressFileName(name)), frames, options.durable);
      if (options.durable && !this.progressDirSynced.has(name)) {
        await syncDirectory(this.dir);
        this.progressDirSynced.add(name);
      }
    });
    this.progressWrites = write.catch(() => undefined);
    return write.then(
      () => true,
      () => false,
    );
  }

  /**
   * A committed frame's task updates stop holding back new updates of their workflows. Call only
   * once the frame's commit is recorded durably (recordProgress with `durable`): a restart must not
   * replay it after a newer update went directly to PostgreSQL.
   */
  releaseTaskUpdates(name: string, frame: readonly IngestRecord[]): void {
    this.taskKeys.release(name, taskUpdates(frame));
  }

  /**
   * Appends one batch as one frame and resolves after it is fsynced.
   * @throws BackpressureError when the spool is full; ShannonError SPOOL_FAILED when the write or
   * fsync failed (nothing in that group is acknowledged).
   */
  append(records: readonly IngestRecord[]): Promise<void> {
    const appends = this.appends;
    switch (appends.state) {
      case 'closed':
        return Promise.reject(new ShannonError('SHUTTING_DOWN', 'the spool is closed'));
      case 'idle':
      case 'writing':
        break;
      default:
        return unreachable(appends, 'spool append state');
    }
    const frame = encodeFrame(Buffer.from(JSON.stringify(records)));
    const queued = this.pending.reduce((n, p) => n + p.frame.length, 0);
    if (this.stats().bytes + queued + frame.length > this.maxBytes) {
      return Promise.reject(
        new BackpressureError(
          `the spool is full (${this.stats().bytes} of ${this.maxBytes} bytes); retry once PostgreSQL is back`,
          1_000,
          { details: { spoolBytes: this.stats().bytes, spoolMaxBytes: this.maxBytes } },
        ),
      );
    }
    const tasks = taskUpdates(records);
    // Counted now, not when written: a task update decided for a direct write after this call
    // returns must already see this one (spooled-task-keys.ts).
    this.taskKeys.addPending(tasks);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ frame, records: records.length, tasks, resolve, reject });
      // A running loop takes it with its next group.
      if (this.appends.state === 'idle') this.appends = { state: 'writing', loop: this.writeLoop() };
    });
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0);
        await this.writeGroup(group);
      }
    } finally {
      this.appends = IDLE;
    }
  }

  /** The loop writing pending appends, if one runs. */
  private writing(): Promise<void> | undefined {
    return this.appends.state === 'writing' ? this.appends.loop : undefined;
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    let segment: { info: SegmentInfo; handle: SegmentFile };
    try {
      await this.ensureLocked();
      segment = await this.activeSegment();
    } catch (error) {
      for (const p of group) {
        this.taskKeys.settlePending(p.tasks, undefined);
        p.reject(spoolFailure('could not create a spool segment', error));
      }
      return;
    }
    // From here on the frames may be on disk even when the write fails, and replay would find them.
    for (const p of group) this.taskKeys.settlePending(p.tasks, segment.info.name);
    const data = group.length === 1 ? group[0]!.frame : Buffer.concat(group.map((p) => p.frame));
    try {
      await writeFully(segment.handle, data, (n) => {
        segment.info.bytes += n;
      });
      await segment.handle.sync();
    } catch (error) {
      // The file's state is unknown: seal it; frames before this group were fsynced and stay valid.
      await this.sealActive().catch(() => undefined);
      this.onSealedByFailure?.(segment.info.name, error);
      for (const p of group) p.reject(spoolFailure(`write or fsync of ${segment.info.name} failed`, error));
      return;
    }
    segment.info.records += group.reduce((n, p) => n + p.records, 0);
    for (const p of group) p.resolve();
    if (segment.info.bytes >= this.segmentMaxBytes) await this.sealActive().catch(() => undefined);
  }

  private async activeSegment(): Promise<{ info: SegmentInfo; handle: SegmentFile }> {
    if (this.active !== undefined) return this.active;
    const name = `segment-${String(this.nextSequence).padStart(16, '0')}.log`;
    this.nextSequence += 1;
    const handle = await this.createSegmentFile(join(this.dir, name));
    const info: SegmentInfo = { name, bytes: 0, records: 0 };
    this.segments.push(info);
    this.active = { info, handle };
    await syncDirectory(this.dir);
    return this.active;
  }

  /** Closes the active segment so later appends start a new one (replay takes sealed ones only). */
  async sealActive(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    await active?.handle.close();
  }

  /** Waits for in-progress appends, then seals the active segment. */
  async sealForReplay(): Promise<void> {
    // sealActive() follows the last check without a tick between, in which an append could start
    // writing to the segment being sealed.
    for (let loop = this.writing(); loop !== undefined; loop = this.writing()) await loop;
    await this.sealActive();
  }

  /** Names of segments that are complete (not the active one), oldest first. */
  sealedSegments(): string[] {
    return this.segments.filter((s) => s !== this.active?.info).map((s) => s.name);
  }

  /** Reads a segment's complete frames; a torn tail is dropped, earlier frames are kept. */
  read(name: string): Promise<SegmentContent> {
    return readSegment(this.dir, name);
  }

  /**
   * Deletes a replayed segment and makes the deletion durable, then its progress file. In that
   * order: a crash between the two leaves a progress file without a segment (removed at the next
   * lock, its number never reused), never a committed segment without its progress, which would
   * replay task updates after newer ones went directly to PostgreSQL.
   */
  async remove(name: string): Promise<void> {
    const index = this.segments.findIndex((s) => s.name === name);
    if (index === -1) return;
    if (this.active?.info.name === name) await this.sealActive();
    await unlink(join(this.dir, name));
    this.segments.splice(index, 1);
    await syncDirectory(this.dir);
    this.taskKeys.dropSegment(name);
    this.progress.delete(name);
    this.progressDirSynced.delete(name);
    await this.progressWrites;
    await unlink(join(this.dir, progressFileName(name))).catch(() => undefined);
  }

  /** Finishes pending appends and closes the active segment; later appends are refused. */
  async close(): Promise<void> {
    // Again when an append started while the progress writes finished: closed means nothing is
    // being written, so the segment is never sealed under a write.
    do {
      for (let loop = this.writing(); loop !== undefined; loop = this.writing()) await loop;
      await this.progressWrites;
    } while (this.writing() !== undefined);
    this.appends = CLOSED;
    await this.sealActive();
    await this.lock.release();
  }
}

function spoolFailure(message: string, cause: unknown): ShannonError {
  return new ShannonError('SPOOL_FAILED', `${message}; the records were not acknowledged`, { cause });
}
