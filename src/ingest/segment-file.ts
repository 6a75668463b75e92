/**
 * The file operations of the spool's segments: the part of a file handle it writes through, a
 * write that does not stop at a short count, the fsync of a directory entry, and the reading of a
 * segment's frames.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IngestRecord } from './record-kinds.js';
import { decodeFrames } from './spool-frame.js';

/** The part of a file handle the spool writes segments through (tests give one that fails). */
export interface SegmentFile {
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Writes every byte of `data`, or throws. On a nearly full filesystem write(2) may store part of
 * the buffer and report success with a smaller count; stopping there would acknowledge a frame
 * whose tail is missing (replay drops a torn frame). So the rest is written again until all of it
 * is down; a write that makes no progress is a full disk, reported as ENOSPC.
 */
export async function writeFully(
  file: SegmentFile,
  data: Buffer,
  onWritten: (bytes: number) => void,
): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error(`no space left: ${offset} of ${data.length} bytes written`), {
        code: 'ENOSPC',
      });
    }
    offset += bytesWritten;
    onWritten(bytesWritten);
  }
}

/** Fsyncs a directory, making a file's creation or removal in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A segment's content as read for replay. */
export interface SegmentContent {
  name: string;
  batches: IngestRecord[][];
  torn: boolean;
}

/** Reads a segment's complete frames; a torn tail is dropped, earlier frames are kept. */
export async function readSegment(dir: string, name: string): Promise<SegmentContent> {
  const buffer = await readFile(join(dir, name));
  const decoded = decodeFrames(buffer);
  const batches: IngestRecord[][] = [];
  for (const payload of decoded.payloads) {
    try {
      batches.push(JSON.parse(payload.toString('utf8')) as IngestRecord[]);
    } catch {
      // A frame whose checksum matched but whose JSON does not parse cannot come from this code.
      return { name, batches, torn: true };
    }
  }
  return { name, batches, torn: decoded.torn };
}
