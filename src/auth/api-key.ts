/**
 * API key format and digests. A key is `sdk_<prefix>_<secret><checksum>`: a 12-character random
 * lookup prefix (not secret), 43 characters of base64url secret (256 bits) and a 6-character CRC32
 * checksum, so malformed or mistyped keys are rejected without a database query (GitHub's token
 * format idea). Only the SHA-256 digest and the prefix are stored; digests are compared with
 * `timingSafeEqual` on equal-length buffers.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Type prefix of every key; secret scanners can match `sdk_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{49}`. */
export const API_KEY_TYPE_PREFIX = 'sdk_';
export const API_KEY_PREFIX_LENGTH = 12;
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const KEY_PATTERN = /^sdk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})([A-Za-z0-9]{6})$/;
/** Longest string worth parsing as a key; longer header values are rejected unread. */
export const API_KEY_LENGTH =
  API_KEY_TYPE_PREFIX.length + API_KEY_PREFIX_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;

export interface GeneratedApiKey {
  /** The full key; shown to the caller once and never stored. */
  key: string;
  /** Lookup prefix stored in `auth.api_keys.key_prefix`. */
  prefix: string;
  /** Hex SHA-256 of the full key, stored in `auth.api_keys.key_hash`. */
  digest: string;
}

function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
      if (byte < 248 && out.length < length) out += PREFIX_ALPHABET[byte % 62];
    }
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i += 1) {
    out = PREFIX_ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Hex SHA-256 of a key. */
export function digestApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Assembles a key from its prefix and secret, appending the checksum. */
export function formatApiKey(prefix: string, secret: string): string {
  const body = `${API_KEY_TYPE_PREFIX}${prefix}_${secret}`;
  return `${body}${checksum(body)}`;
}

/** Creates a new random key with its prefix and digest. */
export function generateApiKey(): GeneratedApiKey {
  const prefix = randomAlphanumeric(API_KEY_PREFIX_LENGTH);
  const key = formatApiKey(prefix, randomBytes(32).toString('base64url'));
  return { key, prefix, digest: digestApiKey(key) };
}

/** The lookup prefix of a well-formed key with a valid checksum, or undefined (no IO). */
export function parseApiKey(raw: string): { prefix: string } | undefined {
  if (raw.length !== API_KEY_LENGTH) return undefined;
  const match = KEY_PATTERN.exec(raw);
  if (match === null) return undefined;
  const body = raw.slice(0, raw.length - CHECKSUM_LENGTH);
  if (checksum(body) !== match[3]) return undefined;
  return { prefix: match[1]! };
}

/** Constant-time comparison of two hex SHA-256 digests; false for anything not 64 hex characters. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  if (left.length !== 32 || right.length !== 32) return false;
  return timingSafeEqual(left, right);
}
