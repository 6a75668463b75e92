/**
 * Replay progress of a spool segment: how many of its leading frames are committed, kept in a small
 * file beside it (`segment-<n>.progress`) so that a restarted process resumes there instead of at
 * the segment's start. The file is append-only, one decimal count and a newline per entry, and the
 * reader takes the largest complete entry: an entry torn by a crash (no newline, or the zeros a
 * lost write leaves) is ignored and the one before it stands, so an update never puts a smaller
 * value in doubt than the one it follows. Entries are not fsynced unless asked: for insert-only
 * frames a lost entry only means a repeat that the idempotency keys absorb. Task updates are not
 * idempotent in that sense (an older update replayed after a newer one changes the row), so the
 * replayer asks for an fsynced entry after each task frame, before it lets a newer update of that
 * workflow go directly to PostgreSQL.
 */
import { open, readFile } from 'node:fs/promises';

const PROGRESS_PATTERN = /^segment-(\d{16})\.progress$/;

/** The progress file's name for a segment file's name. */
export function progressFileName(segment: string): string {
  return segment.replace(/\.log$/, '.progress');
}

/** The segment file a progress file belongs to, or undefined when the name is not a progress file's. */
export function segmentOfProgressFile(name: string): { segment: string; sequence: number } | undefined {
  const match = PROGRESS_PATTERN.exec(name);
  if (match === null) return undefined;
  return { segment: name.replace(/\.progress$/, '.log'), sequence: Number(match[1]) };
}

/** The committed frame count a progress file's content records (0 when it records none). */
export function parseProgress(text: string): number {
  let frames = 0;
  const lines = text.split('\n');
  // The last piece has no newline after it: incomplete, whatever it holds.
  for (const line of lines.slice(0, -1)) {
    if (/^\d{1,15}$/.test(line)) frames = Math.max(frames, Number(line));
  }
  return frames;
}

/** Reads a progress file; 0 when there is none. */
export async function readProgress(path: string): Promise<number> {
  try {
    return parseProgress(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Appends one entry; with `durable`, fsyncs the file before resolving. */
export async function appendProgress(path: string, frames: number, durable: boolean): Promise<void> {
  const handle = await open(path, 'a');
  try {
    await handle.write(`${frames}\n`);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
}
