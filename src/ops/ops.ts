/**
 * The operations toolkit as one object for the composition root, the CLI and the admin API:
 * every entry point returns plain JSON-serialisable data and is timed in
 * `shannon_ops_operation_duration_seconds`. Pinned work (EXPLAIN, hypopg, COPY, DDL under
 * lock_timeout) takes connections from the same pool as everything else.
 */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import type { Database } from '../postgres/database.js';
import { type AggregateRange, rebuildDailyAggregates, verifyDailyAggregates } from './aggregates.js';
import { type ArchiveRange, exportArchive, type RestoreOptions, restoreArchive } from './archive.js';
import { type DoctorOptions, runDoctor } from './doctor.js';
import { checkVectorCollections, type VectorInspector } from './doctor-vector.js';
import { type ExplainOptions, explainStatement } from './explain.js';
import { type AdviseOptions, adviseIndexes } from './index-advisor.js';
import { type ConversionOptions, convertToPartitioned } from './partition-conversion.js';
import { maintainPartitions, partitionStatus, planPartitions } from './partitions.js';
import { planRetention, type RetentionOptions, runRetention } from './retention.js';
import { captureStatementStats } from './statement-stats.js';

export interface CreateOpsOptions {
  db: Database;
  config: Pick<Config, 'dataDir' | 'vectorDimension' | 'archiveKey'>;
  metrics?: Metrics;
  /** The vector backend, for the doctor's collection checks (absent: those checks are skipped). */
  vectorBackend?: VectorInspector;
}

/** Builds the toolkit; nothing runs until a method is called. */
export function createOps(options: CreateOpsOptions) {
  const { db, config, metrics } = options;
  const source = db.pool;
  const archiveRoot = join(config.dataDir, 'archives');

  async function timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await fn();
      metrics?.opsOperationDuration.observe(
        { operation, outcome: 'ok' },
        (performance.now() - started) / 1000,
      );
      return value;
    } catch (error) {
      metrics?.opsOperationDuration.observe(
        { operation, outcome: 'error' },
        (performance.now() - started) / 1000,
      );
      throw error;
    }
  }

  return {
    /** Where retention and exports write archives unless told otherwise (`<dataDir>/archives`). */
    archiveRoot,
    /** Every doctor check; the vector checks run when a backend was given. */
    doctor: (opts: DoctorOptions = {}) =>
      timed('doctor', async () => {
        const backend = options.vectorBackend;
        const report = await runDoctor(db, {
          connections: source,
          ...opts,
          extraChecks: {
            ...(backend === undefined
              ? {}
              : { vector_collections: () => checkVectorCollections(db, backend, config.vectorDimension) }),
            ...opts.extraChecks,
          },
        });
        for (const [severity, n] of Object.entries(report.summary))
          metrics?.opsDoctorFindings.set({ severity }, n);
        return report;
      }),
    /** Takes a pg_stat_statements delta capture (for a scheduler; the doctor also captures). */
    captureStatements: () => timed('capture_statements', () => captureStatementStats(db)),
    explain: (sql: string, opts: ExplainOptions = {}) =>
      timed('explain', () => explainStatement(source, sql, opts)),
    adviseIndexes: (opts: AdviseOptions = {}) =>
      timed('advise_indexes', () => adviseIndexes(db, source, opts)),
    partitionStatus: (opts: { monthsAhead?: number } = {}) =>
      timed('partitions_status', () => partitionStatus(db, opts)),
    planPartitions: (opts: { monthsAhead?: number } = {}) =>
      timed('partitions_plan', () => planPartitions(db, opts)),
    maintainPartitions: (opts: Parameters<typeof maintainPartitions>[2] = {}) =>
      timed('partitions_maintain', () => maintainPartitions(db, source, opts)),
    convertToPartitioned: (opts: ConversionOptions) =>
      timed('partitions_convert', () => convertToPartitioned(db, source, opts)),
    planRetention: (opts: Omit<RetentionOptions, 'archiveDirectory'> = {}) =>
      timed('retention_plan', () => planRetention(db, opts)),
    runRetention: (opts: Partial<RetentionOptions> = {}) =>
      timed('retention_run', async () => {
        const report = await runRetention(db, source, {
          archiveDirectory: archiveRoot,
          ...(config.archiveKey === undefined ? {} : { archiveKey: config.archiveKey }),
          ...opts,
        });
        metrics?.opsArchivedRows.inc(report.manifest?.files.reduce((n, f) => n + f.rows, 0) ?? 0);
        return report;
      }),
    /** Exports ranges; the manifest is signed with SHANNON_ARCHIVE_KEY when it is set. */
    exportArchive: (opts: {
      directory: string;
      ranges: ArchiveRange[];
      onProgress?: (done: number, total: number) => void;
    }) =>
      timed('archive_export', async () => {
        const manifest = await exportArchive(db, source, {
          ...opts,
          ...(config.archiveKey === undefined ? {} : { key: config.archiveKey }),
        });
        metrics?.opsArchivedRows.inc(manifest.files.reduce((n, f) => n + f.rows, 0));
        return manifest;
      }),
    /** Restores an archive whose signature matches SHANNON_ARCHIVE_KEY (or, with `trustUnsigned`, an unsigned one). */
    restoreArchive: (opts: Omit<RestoreOptions, 'key'>) =>
      timed('archive_restore', () =>
        restoreArchive(db, source, {
          ...opts,
          ...(config.archiveKey === undefined ? {} : { key: config.archiveKey }),
        }),
      ),
    verifyAggregates: (range: AggregateRange) =>
      timed('aggregates_verify', () => verifyDailyAggregates(db, range)),
    rebuildAggregates: (range: AggregateRange) =>
      timed('aggregates_rebuild', () => rebuildDailyAggregates(source, range)),
  };
}

export type Ops = ReturnType<typeof createOps>;
