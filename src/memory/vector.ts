/**
 * Vector validation and float32 encoding. Vectors are checked at the edge (P6): right dimension,
 * every component finite and representable as float32, not all zero (cosine is undefined there).
 */
import { ValidationError } from '../errors/errors.js';

/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Validates a vector and returns it as a Float32Array.
 * @throws ValidationError naming the field, e.g. `points[2].vector[17]`.
 */
export function validateVector(raw: unknown, dimension: number, field = 'vector'): Float32Array {
  if (!Array.isArray(raw) && !(raw instanceof Float32Array) && !(raw instanceof Float64Array)) {
    throw new ValidationError(field, 'must be an array of numbers');
  }
  if (raw.length !== dimension) {
    throw new ValidationError(field, `must have ${dimension} dimensions, got ${raw.length}`, {
      details: { expected: dimension, actual: raw.length },
    });
  }
  const out = new Float32Array(dimension);
  // The zero check is made on the stored float32 values, squared and summed in float32 as the
  // index does: 1e-46 is a non-zero double but 0 as float32, and components of 1e-30 are non-zero
  // floats whose squares underflow, so either vector would be stored with no direction at all.
  let normSquared = 0;
  for (let i = 0; i < dimension; i += 1) {
    const value: unknown = raw[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ValidationError(`${field}[${i}]`, 'must be a finite number (NaN and Infinity are rejected)');
    }
    if (Math.abs(value) > FLOAT32_MAX) {
      throw new ValidationError(`${field}[${i}]`, `is outside the float32 range (|x| ≤ ${FLOAT32_MAX})`);
    }
    out[i] = value;
    normSquared = Math.fround(normSquared + Math.fround(out[i]! * out[i]!));
  }
  if (!(normSquared > 0)) {
    throw new ValidationError(
      field,
      'must not be all zeros, nor so small that its float32 norm is zero (cosine similarity is undefined)',
    );
  }
  return out;
}

/** Encodes a float32 vector as little-endian bytes (the `bytea` stored in PostgreSQL). */
export function encodeVector(vector: Float32Array): Buffer {
  const buffer = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i += 1) buffer.writeFloatLE(vector[i] as number, i * 4);
  return buffer;
}

/** Decodes little-endian float32 bytes into a Float32Array (copying, so alignment never matters). */
export function decodeVector(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i += 1) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Cosine similarity in float64; 0 when either vector has zero norm. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
