/**
 * Doctor thresholds (sources: reference/dbtools.md §3 — PgHero, Supabase, pganalyze). Every value
 * can be overridden per run; tests lower the windows and sizes to plant problems quickly.
 */
import { ConfigError } from '../config/config.js';

export interface DoctorThresholds {
  /** Slow query: at least this many calls in the window… */
  slowQueryMinCalls: number;
  /** …with a mean execution time of at least this many milliseconds. */
  slowQueryMeanMs: number;
  /** How far back slow-query deltas are summed. */
  slowQueryWindowHours: number;
  longRunningWarnSeconds: number;
  longRunningCriticalSeconds: number;
  idleInTransactionSeconds: number;
  blockedSeconds: number;
  /** Below this hit ratio (0–1) the cache finding is a warning… */
  cacheHitRatioMin: number;
  /** …but only once at least this many blocks were read in total. */
  cacheHitMinBlocks: number;
  connectionsWarnRatio: number;
  /** An index is called unused only when a capture at least this old shows the same scan count. */
  unusedIndexWindowDays: number;
  unusedIndexMinBytes: number;
  /** A table with at least this many live rows is "large". */
  largeTableRows: number;
  seqScanMinCount: number;
  bloatMinWasteBytes: number;
  /** Actual pages divided by expected pages at or above which a relation counts as bloated. */
  bloatMinRatio: number;
  xidAgeWarn: number;
  xidAgeCritical: number;
  sequenceUsedRatio: number;
  replicaLagSeconds: number;
  /** Months ahead that must have a partition (1 = next month). */
  partitionMonthsAhead: number;
}

/** Defaults for every doctor threshold. */
export const DEFAULT_DOCTOR_THRESHOLDS: Readonly<DoctorThresholds> = Object.freeze({
  slowQueryMinCalls: 100,
  slowQueryMeanMs: 20,
  slowQueryWindowHours: 24,
  longRunningWarnSeconds: 60,
  longRunningCriticalSeconds: 300,
  idleInTransactionSeconds: 60,
  blockedSeconds: 5,
  cacheHitRatioMin: 0.99,
  cacheHitMinBlocks: 100_000,
  connectionsWarnRatio: 0.8,
  unusedIndexWindowDays: 14,
  unusedIndexMinBytes: 1024 * 1024,
  largeTableRows: 10_000,
  seqScanMinCount: 100,
  bloatMinWasteBytes: 10 * 1024 * 1024,
  bloatMinRatio: 2,
  xidAgeWarn: 650_000_000,
  xidAgeCritical: 1_500_000_000,
  sequenceUsedRatio: 0.9,
  replicaLagSeconds: 5,
  partitionMonthsAhead: 1,
});

/** Thresholds that are ratios (0–1); every other one is a count, a size or a duration (≥ 0). */
const RATIO_THRESHOLDS: ReadonlySet<keyof DoctorThresholds> = new Set([
  'cacheHitRatioMin',
  'connectionsWarnRatio',
  'sequenceUsedRatio',
]);

/**
 * Named overrides (a setting's or flags' `name=value` pairs) checked against the thresholds: an
 * unknown name or a ratio above 1 is a ConfigError naming `setting`.
 */
export function doctorThresholdOverrides(
  setting: string,
  values: Readonly<Record<string, number>>,
): Partial<DoctorThresholds> {
  const overrides: Partial<DoctorThresholds> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!Object.hasOwn(DEFAULT_DOCTOR_THRESHOLDS, name)) {
      throw new ConfigError(
        setting,
        `unknown doctor threshold ${name}; known: ${Object.keys(DEFAULT_DOCTOR_THRESHOLDS).join(', ')}`,
      );
    }
    const key = name as keyof DoctorThresholds;
    if (RATIO_THRESHOLDS.has(key) && value > 1)
      throw new ConfigError(setting, `${name} is a ratio between 0 and 1, got ${value}`);
    overrides[key] = value;
  }
  return overrides;
}
