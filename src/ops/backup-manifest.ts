/**
 * The manifest of a backup directory (`backup.json`): what PostgreSQL held (rows and a content
 * checksum per table, from the same snapshot pg_dump dumped), every file with its size and
 * SHA-256, the vector collections' snapshots (or the note that the embedded index is rebuilt from
 * PostgreSQL), signed like archives with SHANNON_ARCHIVE_KEY. Verification re-hashes every file
 * and names the first one that is missing or altered.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { ShannonError } from '../errors/errors.js';
import { SIGNATURE_SCHEME, signManifest } from './archive-manifest.js';

export const BACKUP_MANIFEST = 'backup.json';
export const BACKUP_FORMAT = 'shannon-data-backup';
/** Where pg_dump's directory-format output goes inside the backup directory. */
export const POSTGRES_DIR = 'postgres';
export const VECTORS_DIR = 'vectors';

export interface BackupTable {
  table: string;
  rows: number;
  checksum: string;
}

export interface BackupFile {
  /** Path relative to the backup directory, `/`-separated. */
  path: string;
  bytes: number;
  sha256: string;
}

export type BackupVectors =
  | { backend: 'qdrant'; collections: Array<{ collection: string; physical: string; file: string }> }
  | { backend: 'embedded'; note: string };

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: 1;
  createdAt: string;
  database: string;
  serverVersion: string;
  pgDump: { major: number; jobs: number };
  tables: BackupTable[];
  files: BackupFile[];
  vectors: BackupVectors;
  /** `hmac-sha256:<hex>` over every other field; null when made without SHANNON_ARCHIVE_KEY. */
  signature: string | null;
}

/** One thing verification found wrong, naming the file. */
export interface BackupProblem {
  file: string;
  problem: string;
}

function invalid(message: string, details: Record<string, unknown> = {}): ShannonError {
  return new ShannonError('BACKUP_INVALID', message, { details });
}

/** SHA-256 and size of a file, streamed (dump files can be large). */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Every file under `dir` (recursively), relative to `root`, sorted. */
export async function listFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(relative(root, path).split(sep).join('/'));
  }
  return out.sort();
}

/** The absolute path of a manifest entry, refused unless it stays inside the backup directory. */
export function backupPath(directory: string, file: unknown): string {
  if (typeof file !== 'string' || file === '' || file.includes('\\') || file.split('/').includes('..')) {
    throw invalid(`file ${JSON.stringify(file)} is not a path inside the backup directory`, { file });
  }
  const root = resolve(directory);
  const path = resolve(root, file);
  if (!path.startsWith(root + sep))
    throw invalid(`file ${JSON.stringify(file)} resolves outside the backup directory`, { file });
  return path;
}

/** Signs the manifest when a key is given. */
export function sealManifest(
  manifest: Omit<BackupManifest, 'signature'>,
  key: string | undefined,
): BackupManifest {
  const body = { ...manifest, signature: null };
  return { ...body, signature: key === undefined ? null : signManifest(body, key) };
}

/** How the signature stands: verified with the key, absent, or present but not checkable (no key). */
export type SignatureState = 'verified' | 'unsigned' | 'unchecked';

/** @throws ShannonError BACKUP_INVALID when a signature is present and does not match under `key`. */
export function signatureState(manifest: BackupManifest, key: string | undefined): SignatureState {
  if (manifest.signature === null) return 'unsigned';
  if (key === undefined) return 'unchecked';
  const expected = Buffer.from(signManifest({ ...manifest }, key));
  const actual = Buffer.from(manifest.signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw invalid(
      `${BACKUP_MANIFEST} does not match its ${SIGNATURE_SCHEME} signature under SHANNON_ARCHIVE_KEY: it was altered, or signed with another key`,
      { file: BACKUP_MANIFEST },
    );
  }
  return 'verified';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads and shape-checks `backup.json`. @throws ShannonError BACKUP_INVALID naming what is wrong. */
export async function readManifest(directory: string): Promise<BackupManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(directory, BACKUP_MANIFEST), 'utf8'));
  } catch (error) {
    throw invalid(`${BACKUP_MANIFEST} cannot be read as JSON in ${directory}: ${(error as Error).message}`, {
      file: BACKUP_MANIFEST,
    });
  }
  const ok =
    isRecord(raw) &&
    raw['format'] === BACKUP_FORMAT &&
    raw['version'] === 1 &&
    Array.isArray(raw['tables']) &&
    Array.isArray(raw['files']) &&
    isRecord(raw['vectors']) &&
    (raw['signature'] === null || typeof raw['signature'] === 'string');
  if (!ok)
    throw invalid(`${BACKUP_MANIFEST} is not a ${BACKUP_FORMAT} version 1 manifest`, {
      file: BACKUP_MANIFEST,
    });
  const manifest = raw as unknown as BackupManifest;
  for (const f of manifest.files) {
    backupPath(directory, f.path);
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256) || !Number.isInteger(f.bytes)) {
      throw invalid(`${BACKUP_MANIFEST}: the entry of ${f.path} has no valid size and sha256`, {
        file: f.path,
      });
    }
  }
  return manifest;
}

/** Every listed file present with its size and SHA-256; files on disk the manifest does not list. */
export async function checkFiles(directory: string, manifest: BackupManifest): Promise<BackupProblem[]> {
  const problems: BackupProblem[] = [];
  for (const f of manifest.files) {
    const path = backupPath(directory, f.path);
    const found = await stat(path).catch(() => undefined);
    if (found === undefined || !found.isFile()) {
      problems.push({ file: f.path, problem: 'missing' });
      continue;
    }
    const { sha256, bytes } = await hashFile(path);
    if (bytes !== f.bytes)
      problems.push({ file: f.path, problem: `${bytes} bytes, the manifest says ${f.bytes}` });
    else if (sha256 !== f.sha256)
      problems.push({ file: f.path, problem: 'content differs from its sha256 in the manifest' });
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const path of await listFiles(directory, directory)) {
    if (path !== BACKUP_MANIFEST && !listed.has(path))
      problems.push({ file: path, problem: 'not in the manifest' });
  }
  return problems;
}
