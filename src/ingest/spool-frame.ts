/**
 * The spool's on-disk framing: each entry is `u32 length | u32 crc32 | payload` (little endian), the
 * payload a JSON array of records. A reader stops at the first frame that is incomplete or fails its
 * checksum — a torn tail after a crash — and keeps every complete frame before it.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;
/** Upper bound of one frame's payload; a larger length field can only be garbage. */
export const MAX_FRAME_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** Encodes one frame around the payload. */
export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodedFrames {
  payloads: Buffer[];
  /** Bytes covered by complete, valid frames. */
  validBytes: number;
  /** True when bytes after the last valid frame were dropped (torn or corrupt tail). */
  torn: boolean;
}

/** Decodes consecutive frames from a buffer, stopping at the first invalid or incomplete one. */
export function decodeFrames(buffer: Buffer): DecodedFrames {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset + FRAME_HEADER_BYTES <= buffer.length) {
    const length = buffer.readUInt32LE(offset);
    const checksum = buffer.readUInt32LE(offset + 4);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (length > MAX_FRAME_PAYLOAD_BYTES || end > buffer.length) break;
    const payload = buffer.subarray(offset + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== checksum) break;
    payloads.push(payload);
    offset = end;
  }
  return { payloads, validBytes: offset, torn: offset < buffer.length };
}
