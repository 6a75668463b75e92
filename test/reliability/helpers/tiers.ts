/**
 * Two sizes of the battery: the reduced tier (default; what `npm test` runs in CI, a few minutes in
 * all) and the full tier (`RELIABILITY_FULL=1`, `npm run test:reliability`), with the counts and
 * durations the acceptance figures are stated for.
 */
export const FULL = process.env['RELIABILITY_FULL'] === '1';

/** The reduced value, or the full one when RELIABILITY_FULL=1. */
export function tier<T>(reduced: T, full: T): T {
  return FULL ? full : reduced;
}

/** `reduced` or `full`, for the printed figure lines. */
export const TIER_NAME = FULL ? 'full' : 'reduced';
