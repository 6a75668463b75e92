/**
 * Deterministic point ids: a UUIDv5 (SHA-1, RFC 9562) of collection + tenant + natural key, so a
 * retried write lands on the same point instead of duplicating it (the original used random UUIDs, W25).
 */
import { createHash } from 'node:crypto';
import { isUuid } from '../validation/checks.js';

/** Namespace UUID of Shannon Data memory points (fixed; changing it would re-key every point). */
export const POINT_ID_NAMESPACE = '6f1c5a2e-3b7d-4e58-9a41-0c2d8e7f6b13';

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/**
 * True when `id` has the shape of a point id: any UUID, either case. Derived ids are UUIDv5, but
 * an explicit caller id may be any version, so the version nibble is not checked.
 */
export function isPointId(id: unknown): id is string {
  return isUuid(id);
}

/** UUIDv5 of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string = POINT_ID_NAMESPACE): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The point id for a natural key (e.g. `qa_id` + chunk index) of a tenant in a collection. */
export function pointId(collection: string, tenantId: string, ...naturalKey: Array<string | number>): string {
  // NUL separators make the encoding injective: no part may contain NUL in a JS-built key anyway.
  return uuidV5([collection, tenantId.toLowerCase(), ...naturalKey.map(String)].join('\u0000'));
}
