/**
 * The operations toolkit as one object for the composition root, the CLI and the admin API:
 * every entry point returns plain JSON-serialisable data and is timed in
 * `shannon_ops_operation_duration_seconds`. Pinned work (EXPLAIN, hypopg, COPY, DDL under
 * lock_timeout) runs in the database's sessions, with the same deadlines, breakers and metrics as
 * every other statement.
 */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import {
  type AggregateDifference,
  type AggregateRange,
  type RebuildResult,
  rebuildDailyAggregates,
  verifyDailyAggregates,
} from './aggregates.js';
import { type ArchiveManifest, type ArchiveRange, exportArchive } from './archive.js';
import { type RestoreOptions, type RestoreResult, restoreArchive } from './archive-restore.js';
import { type DoctorOptions, type DoctorReport, runDoctor } from './doctor.js';
import { doctorThresholdOverrides } from './doctor-thresholds.js';
import { checkVectorCollections, type VectorInspector } from './doctor-vector.js';
import { type ExplainOptions, type ExplainResult, explainStatement } from './explain.js';
import { type AdviseOptions, type AdviseReport, adviseIndexes } from './index-advisor.js';
import {
  type ConversionOptions,
  type ConversionResult,
  convertToPartitioned,
} from './partition-conversion.js';
import {
  type MaintainOptions,
  type MaintainResult,
  maintainPartitions,
  type PartitionAction,
  type PartitionTableStatus,
  partitionStatus,
  planPartitions,
} from './partitions.js';
import { type PublishResult, publish, type ReplicationStatus, replicationStatus } from './replication.js';
import {
  planRetention,
  type RetentionAction,
  type RetentionOptions,
  type RetentionReport,
  runRetention,
} from './retention.js';
import { type CaptureResult, captureStatementStats } from './statement-stats.js';

/** The operations toolkit. Nothing runs until a method is called; every method is timed. */
export interface Ops {
  /** Where retention and exports write archives unless told otherwise (`<dataDir>/archives`). */
  readonly archiveRoot: string;

  // Health
  /** Every doctor check; the vector checks run when a backend was given. */
  doctor(options?: DoctorOptions): Promise<DoctorReport>;
  /** Takes a pg_stat_statements delta capture (for a scheduler; the doctor also captures). */
  captureStatements(): Promise<CaptureResult>;

  // Query plans and indexes
  /** Explains one statement safely (writes only with `analyze`, always rolled back). */
  explain(sql: string, options?: ExplainOptions): Promise<ExplainResult>;
  /** Proposes indexes for the workload, each proven with hypopg cost before/after. */
  adviseIndexes(options?: AdviseOptions): Promise<AdviseReport>;

  // Partitions
  /** Coverage of every partitioned table: months missing ahead, gaps, rows in the default partition. */
  partitionStatus(options?: { monthsAhead?: number }): Promise<PartitionTableStatus[]>;
  /** What `maintainPartitions` would do, without doing it. */
  planPartitions(options?: { monthsAhead?: number }): Promise<PartitionAction[]>;
  /** Creates the planned partitions and empties the default partitions into their months. */
  maintainPartitions(options?: MaintainOptions): Promise<MaintainResult>;
  /** Converts (or resumes converting) a table to monthly range partitions, online. */
  convertToPartitioned(options: ConversionOptions): Promise<ConversionResult>;

  // Retention and archives
  /** What a retention run would do. */
  planRetention(options?: Omit<RetentionOptions, 'archiveDirectory'>): Promise<RetentionAction[]>;
  /** Archives then deletes what the policies expire; archives go under `archiveRoot` by default. */
  runRetention(options?: Partial<RetentionOptions>): Promise<RetentionReport>;
  /** Exports ranges; the manifest is signed with SHANNON_ARCHIVE_KEY when it is set. */
  exportArchive(options: {
    directory: string;
    ranges: ArchiveRange[];
    onProgress?: (done: number, total: number) => void;
  }): Promise<ArchiveManifest>;
  /** Restores an archive whose signature matches SHANNON_ARCHIVE_KEY (or, with `trustUnsigned`, an unsigned one). */
  restoreArchive(options: Omit<RestoreOptions, 'key'>): Promise<RestoreResult>;

  // Logical replication
  /** Creates (or brings up to date) the publication of the durable tables. */
  publish(options?: { publication?: string }): Promise<PublishResult>;
  /** The publication, tables it misses, and each subscriber's slot and lag. */
  replicationStatus(options?: { publication?: string }): Promise<ReplicationStatus>;

  // Usage aggregates
  /** Lists the (tenant, user, day) rows whose stored aggregate differs from a recount. */
  verifyAggregates(range: AggregateRange): Promise<AggregateDifference[]>;
  /** Replaces the aggregate rows of a range with a recount, atomically. */
  rebuildAggregates(range: AggregateRange): Promise<RebuildResult>;
}

export interface CreateOpsOptions {
  /** Statements and pinned sessions (a `Database`). */
  db: Queryable & SessionSource;
  config: Pick<Config, 'dataDir' | 'vectorDimension' | 'archiveKey'> &
    Partial<Pick<Config, 'doctorThresholds'>>;
  metrics?: Metrics;
  /** The vector backend, for the doctor's collection checks (absent: those checks are skipped). */
  vectorBackend?: VectorInspector;
}

/** Builds the toolkit; nothing runs until a method is called. */
export function createOps(options: CreateOpsOptions): Ops {
  const { db, config, metrics } = options;
  const archiveRoot = join(config.dataDir, 'archives');
  const signing = config.archiveKey === undefined ? {} : { key: config.archiveKey };

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
    archiveRoot,
    doctor: (opts = {}) =>
      timed('doctor', async () => {
        const backend = options.vectorBackend;
        const report = await runDoctor(db, {
          connections: db,
          ...opts,
          // Configured thresholds first; a run's own (the CLI's --threshold flags) win.
          thresholds: {
            ...doctorThresholdOverrides('SHANNON_DOCTOR_THRESHOLDS', config.doctorThresholds ?? {}),
            ...opts.thresholds,
          },
          extraChecks: {
            ...(backend === undefined
              ? {}
              : { vector_collections: () => checkVectorCollections(db, backend, config.vectorDimension) }),
            ...opts.extraChecks,
          },
        });
        for (const [severity, n] of Object.entries(report.summary))
          metrics?.opsDoctorFindings.set({ severity }, n);
        metrics?.opsDoctorLastRun.set(Date.now() / 1000);
        return report;
      }),
    captureStatements: () => timed('capture_statements', () => captureStatementStats(db)),
    explain: (sql, opts = {}) => timed('explain', () => explainStatement(db, sql, opts)),
    adviseIndexes: (opts = {}) => timed('advise_indexes', () => adviseIndexes(db, db, opts)),
    partitionStatus: (opts = {}) => timed('partitions_status', () => partitionStatus(db, opts)),
    planPartitions: (opts = {}) => timed('partitions_plan', () => planPartitions(db, opts)),
    maintainPartitions: (opts = {}) => timed('partitions_maintain', () => maintainPartitions(db, db, opts)),
    convertToPartitioned: (opts) => timed('partitions_convert', () => convertToPartitioned(db, db, opts)),
    publish: (opts = {}) => timed('replication_publish', () => publish(db, opts.publication)),
    replicationStatus: (opts = {}) =>
      timed('replication_status', () => replicationStatus(db, opts.publication)),
    planRetention: (opts = {}) => timed('retention_plan', () => planRetention(db, opts)),
    runRetention: (opts = {}) =>
      timed('retention_run', async () => {
        const report = await runRetention(db, db, {
          archiveDirectory: archiveRoot,
          ...(config.archiveKey === undefined ? {} : { archiveKey: config.archiveKey }),
          ...opts,
        });
        metrics?.opsArchivedRows.inc(report.manifest?.files.reduce((n, f) => n + f.rows, 0) ?? 0);
        return report;
      }),
    exportArchive: (opts) =>
      timed('archive_export', async () => {
        const manifest = await exportArchive(db, db, { ...opts, ...signing });
        metrics?.opsArchivedRows.inc(manifest.files.reduce((n, f) => n + f.rows, 0));
        return manifest;
      }),
    restoreArchive: (opts) => timed('archive_restore', () => restoreArchive(db, db, { ...opts, ...signing })),
    verifyAggregates: (range) => timed('aggregates_verify', () => verifyDailyAggregates(db, range)),
    rebuildAggregates: (range) => timed('aggregates_rebuild', () => rebuildDailyAggregates(db, range)),
  };
}
