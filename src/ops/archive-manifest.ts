/**
 * Archive manifests: their shape, their HMAC-SHA256 signature, and the checks restore makes before
 * it believes one. A manifest's checksums only prove that it agrees with its own files; the
 * signature proves that an export holding the operator's key wrote it. The checks bound what any
 * manifest, signed or knowingly unsigned, can make restore do: which tables it writes, which
 * files it reads, which dates reach the partition DDL.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { resolve, sep } from 'node:path';
import { ShannonError } from '../errors/errors.js';
import { isUuid } from '../validation/checks.js';
import { DEFAULT_RETENTION_POLICIES } from './retention-policies.js';

export const MANIFEST_FILE = 'manifest.json';

/** The one signature scheme, written as the prefix of `signature`. */
export const SIGNATURE_SCHEME = 'hmac-sha256';

export interface ArchiveFile {
  table: string;
  column: string;
  from: string;
  to: string;
  tenantId: string | null;
  /** The one physical vector collection a memory-points file holds; absent for every other file. */
  collection?: string;
  columns: string[];
  file: string;
  rows: number;
  /** SHA-256 of the uncompressed COPY text, rows in primary-key order. */
  sha256: string;
  /** SHA-256 of the gzip file as written. */
  fileSha256: string;
}

export interface ArchiveManifest {
  version: 1;
  createdAt: string;
  database: string;
  files: ArchiveFile[];
  /** `hmac-sha256:<hex>` over the canonical JSON of the other fields; null when exported without a key. */
  signature: string | null;
}

/** How restore came to trust a manifest. */
export type ManifestTrust = 'verified' | 'unsigned_trusted' | 'unverified_trusted';

/**
 * The only tables restore writes into: those retention archives, and the memory points it removes
 * with them. Anything else (API keys, tenants, users) is never restored from a file.
 */
export const RESTORABLE_TABLES: ReadonlySet<string> = new Set([
  ...DEFAULT_RETENTION_POLICIES.map((p) => p.table),
  'public.memory_points',
]);

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SIGNATURE = /^hmac-sha256:[0-9a-f]{64}$/;
/** Exactly what `Date.prototype.toISOString` writes for years 0000–9999. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;
/** A physical collection name, as memory_collection_versions checks it. */
export const PHYSICAL_COLLECTION_NAME = /^[a-z][a-z0-9_]{0,62}$/;

function untrusted(reason: string, message: string, details: Record<string, unknown> = {}): ShannonError {
  return new ShannonError('ARCHIVE_UNTRUSTED', message, { details: { reason, ...details } });
}

/** A manifest value quoted for an error message, cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** JSON with object keys sorted at every level, so the signed bytes do not depend on layout. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The signature of a manifest (every field but `signature`) under `key`. */
export function signManifest(manifest: Record<string, unknown>, key: string): string {
  const { signature: _ignored, ...body } = manifest;
  return `${SIGNATURE_SCHEME}:${createHmac('sha256', key).update(canonicalJson(body)).digest('hex')}`;
}

/**
 * Decides whether restore may use a parsed manifest. A wrong signature is refused even with
 * `trustUnsigned`: it means the manifest was altered, or signed with a key this process lacks.
 * @throws ShannonError ARCHIVE_UNTRUSTED when unsigned, wrongly signed or not checkable.
 */
export function checkManifestSignature(
  manifest: Record<string, unknown>,
  key: string | undefined,
  trustUnsigned: boolean,
): ManifestTrust {
  const signature = manifest['signature'];
  if (signature === undefined || signature === null) {
    if (trustUnsigned) return 'unsigned_trusted';
    throw untrusted(
      'unsigned',
      'the archive manifest is not signed; export with SHANNON_ARCHIVE_KEY set, or pass --trust-unsigned if you know where this archive came from',
    );
  }
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) {
    throw untrusted(
      'bad_signature',
      `the archive manifest's signature is not ${SIGNATURE_SCHEME}:<64 hex digits>`,
    );
  }
  if (key === undefined) {
    if (trustUnsigned) return 'unverified_trusted';
    throw untrusted(
      'no_key',
      'the archive manifest is signed but SHANNON_ARCHIVE_KEY is not set, so the signature cannot be checked; set it, or pass --trust-unsigned',
    );
  }
  const expected = Buffer.from(signManifest(manifest, key));
  const actual = Buffer.from(signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw untrusted(
      'bad_signature',
      'the archive manifest does not match its signature under SHANNON_ARCHIVE_KEY: it was altered, or signed with another key',
    );
  }
  return 'verified';
}

/**
 * Parses a date exactly as export writes it (ISO 8601 UTC with milliseconds) and checks it reads
 * back the same, so `2026-02-30T00:00:00.000Z` or text with quotes never reaches SQL.
 * @throws ShannonError ARCHIVE_UNTRUSTED otherwise.
 */
export function strictArchiveDate(value: unknown, field: string): Date {
  if (typeof value === 'string' && ISO_UTC.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime()) && date.toISOString() === value) return date;
  }
  throw untrusted(
    'bad_date',
    `${field} ${shown(value)} is not a date as export writes it (ISO 8601 UTC, e.g. 2026-08-01T00:00:00.000Z)`,
    { field },
  );
}

/**
 * The path of an archive file: a plain name (no separator, no `..`) that resolves inside the
 * archive directory. @throws ShannonError ARCHIVE_UNTRUSTED otherwise.
 */
export function archiveFilePath(directory: string, file: unknown): string {
  if (typeof file !== 'string' || !FILE_NAME.test(file) || file.includes('..') || file === MANIFEST_FILE) {
    throw untrusted('bad_file', `file ${shown(file)} is not a plain file name inside the archive directory`);
  }
  const root = resolve(directory);
  const path = resolve(root, file);
  if (!path.startsWith(root + sep)) {
    throw untrusted('bad_file', `file ${shown(file)} resolves outside the archive directory`);
  }
  return path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseFile(raw: unknown, index: number, directory: string): ArchiveFile {
  const at = `files[${index}]`;
  if (!isRecord(raw)) throw untrusted('malformed', `${at} is not an object`);
  const file = raw['file'];
  archiveFilePath(directory, file);
  const table = raw['table'];
  if (typeof table !== 'string' || !RESTORABLE_TABLES.has(table)) {
    throw untrusted(
      'table_not_restorable',
      `${at}: restore writes only into the tables retention archives (${[...RESTORABLE_TABLES].join(', ')}), not ${shown(table)}`,
      { table: typeof table === 'string' ? table : null },
    );
  }
  const column = raw['column'];
  if (typeof column !== 'string' || !COLUMN_NAME.test(column))
    throw untrusted('malformed', `${at}.column ${shown(column)} is not a column name`);
  const from = strictArchiveDate(raw['from'], `${at}.from`);
  const to = strictArchiveDate(raw['to'], `${at}.to`);
  if (from.getTime() >= to.getTime()) throw untrusted('bad_date', `${at}: from must be before to`);
  const tenantId = raw['tenantId'];
  if (tenantId !== null && !isUuid(tenantId))
    throw untrusted('malformed', `${at}.tenantId ${shown(tenantId)} is not a UUID`);
  const collection = raw['collection'];
  if (
    collection !== undefined &&
    (table !== 'public.memory_points' ||
      typeof collection !== 'string' ||
      !PHYSICAL_COLLECTION_NAME.test(collection))
  )
    throw untrusted('malformed', `${at}.collection ${shown(collection)} is not a memory collection name`);
  const columns = raw['columns'];
  if (
    !Array.isArray(columns) ||
    columns.length === 0 ||
    !columns.every((c): c is string => typeof c === 'string' && COLUMN_NAME.test(c)) ||
    new Set(columns).size !== columns.length
  ) {
    throw untrusted('malformed', `${at}.columns must list distinct column names`);
  }
  const rows = raw['rows'];
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 0)
    throw untrusted('malformed', `${at}.rows ${shown(rows)} is not a row count`);
  const sha256 = raw['sha256'];
  const fileSha256 = raw['fileSha256'];
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
    throw untrusted('malformed', `${at}.sha256 is not a SHA-256`);
  if (typeof fileSha256 !== 'string' || !SHA256_HEX.test(fileSha256))
    throw untrusted('malformed', `${at}.fileSha256 is not a SHA-256`);
  return {
    table,
    column,
    // Re-written from the parsed dates: only text `toISOString` produced goes further.
    from: from.toISOString(),
    to: to.toISOString(),
    tenantId: tenantId === null ? null : tenantId.toLowerCase(),
    ...(collection === undefined ? {} : { collection: collection as string }),
    columns,
    file: file as string,
    rows,
    sha256,
    fileSha256,
  };
}

/**
 * Validates a parsed manifest field by field (tables restore may write, plain file names, strict
 * dates, UUIDs, hashes). @throws ShannonError ARCHIVE_UNTRUSTED at the first field that fails.
 */
export function parseManifest(raw: unknown, directory: string): ArchiveManifest {
  if (!isRecord(raw)) throw untrusted('malformed', `${MANIFEST_FILE} does not hold a JSON object`);
  if (raw['version'] !== 1)
    throw untrusted('malformed', `${MANIFEST_FILE} version ${shown(raw['version'])} is not 1`);
  const files = raw['files'];
  if (!Array.isArray(files)) throw untrusted('malformed', `${MANIFEST_FILE} has no files list`);
  const signature = raw['signature'];
  return {
    version: 1,
    createdAt: typeof raw['createdAt'] === 'string' ? raw['createdAt'] : '',
    database: typeof raw['database'] === 'string' ? raw['database'] : '',
    files: files.map((f, i) => parseFile(f, i, directory)),
    signature: typeof signature === 'string' ? signature : null,
  };
}
