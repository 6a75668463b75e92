/**
 * Validation of memory writes at the edge (P6): batch size, ids, vectors, payload shape, reserved
 * keys and payload size — each error names the field (`points[2].vector[17]`).
 */
import { LimitExceededError, ValidationError } from '../errors/errors.js';
import { RESERVED_PAYLOAD_KEYS } from './collections.js';
import { isPointId, pointId } from './point-id.js';
import type { StoredPointInput } from './point-store.js';
import { validateVector } from './vector.js';

/** A point as a caller writes it. */
export interface MemoryPointInput {
  /** Explicit point id (UUID). Give either `id` or `key`. */
  id?: string;
  /** Natural key (e.g. [qa_id, chunk_index]); the id is derived deterministically from it. */
  key?: ReadonlyArray<string | number>;
  vector: ArrayLike<number>;
  payload?: Record<string, unknown>;
}

export const MAX_POINTS_PER_WRITE = 1000;
/** Serialized payload limit per point (bytes of JSON). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/**
 * Validates a batch of points and derives ids. `timestamp` defaults to now (unix seconds).
 * @throws ValidationError / LimitExceededError naming the field; nothing is stored on error.
 */
export function preparePoints(
  collection: string,
  tenantId: string,
  points: readonly MemoryPointInput[],
  dimension: number,
  now: () => number = Date.now,
): StoredPointInput[] {
  if (!Array.isArray(points) || points.length === 0)
    throw new ValidationError('points', 'must be a non-empty array');
  if (points.length > MAX_POINTS_PER_WRITE)
    throw new LimitExceededError('points', MAX_POINTS_PER_WRITE, points.length);
  return points.map((point, i) => {
    const field = `points[${i}]`;
    if (typeof point !== 'object' || point === null) throw new ValidationError(field, 'must be an object');
    let id: string;
    if (point.id !== undefined) {
      if (!isPointId(point.id)) {
        throw new ValidationError(`${field}.id`, 'must be a UUID');
      }
      id = point.id.toLowerCase();
    } else if (Array.isArray(point.key) && point.key.length > 0) {
      (point.key as readonly unknown[]).forEach((part: unknown, j: number) => {
        if (typeof part !== 'string' && !(typeof part === 'number' && Number.isSafeInteger(part))) {
          throw new ValidationError(`${field}.key[${j}]`, 'must be a string or an integer');
        }
        // NUL separates the parts in the derived id, so ['a', 'b'] and ['a\u0000b'] would name the
        // same point and one would silently replace the other (HTTP refuses NUL already; the
        // library did not).
        if (typeof part === 'string' && part.includes('\u0000')) {
          throw new ValidationError(`${field}.key[${j}]`, 'must not contain NUL (\\u0000)');
        }
      });
      id = pointId(collection, tenantId, ...(point.key as Array<string | number>));
    } else {
      throw new ValidationError(field, 'needs an id (UUID) or a natural key');
    }
    const vector = validateVector(point.vector, dimension, `${field}.vector`);
    const payload = validatePayload(point.payload ?? {}, `${field}.payload`);
    if (payload['timestamp'] === undefined) payload['timestamp'] = Math.floor(now() / 1000);
    return { id, vector, payload };
  });
}

/**
 * Validates a payload (or a payload patch): an object, no reserved keys, an integer `timestamp`
 * when present, JSON-serialisable and at most MAX_PAYLOAD_BYTES. Returns a copy.
 * @throws ValidationError / LimitExceededError naming the field.
 */
export function validatePayload(raw: unknown, field: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError(field, 'must be an object');
  }
  for (const key of Object.keys(raw)) {
    if (RESERVED_PAYLOAD_KEYS.has(key) || key.startsWith('_')) {
      throw new ValidationError(`${field}.${key}`, 'is reserved; the data layer sets it');
    }
  }
  const payload: Record<string, unknown> = { ...raw };
  if (payload['timestamp'] !== undefined && !Number.isSafeInteger(payload['timestamp'])) {
    throw new ValidationError(`${field}.timestamp`, 'must be an integer (unix seconds)');
  }
  let json: string;
  try {
    json = JSON.stringify(payload);
  } catch {
    throw new ValidationError(field, 'must be JSON-serialisable');
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_PAYLOAD_BYTES) throw new LimitExceededError(field, MAX_PAYLOAD_BYTES, bytes, 'bytes');
  return payload;
}
