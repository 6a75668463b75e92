/** Test vectors shared by the memory tests of the battery. */

/** The vector dimension the battery's services run with (VECTOR_DIMENSION in helpers/stack.ts). */
export const DIMENSION = 8;

/** A deterministic, well-spread vector per key, so a search for it finds that point first. */
export function vectorOf(key: string): number[] {
  let h = 2166136261;
  for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return Array.from({ length: DIMENSION }, (_, i) => {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) + i;
    return ((h >>> 0) / 0xffffffff) * 2 - 1;
  });
}
