/**
 * Retention: per-table policies with per-tenant-plan overrides, and per-collection policies for
 * memory points. Whole monthly partitions whose upper bound is older than every tenant's cutoff
 * are exported (manifest written first) and then detached and dropped — never bulk-deleted.
 * Tenants with a shorter plan retention, and every tenant of an unpartitioned table, lose their
 * older rows by range (exported first). Memory points are exported per tenant and collection and
 * removed through the memory layer's delete (which queues their removal from the vector index).
 * Audit trails are anonymised after a period; expired refresh tokens are purged.
 */
import { join } from 'node:path';
import { deletePoints } from '../memory/point-store.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import { type ArchiveFile, type ArchiveManifest, exportRange, tableShape, writeManifest } from './archive.js';
import { quoteIdent } from './finding.js';
import { type LockRetryOptions, withLockRetry } from './lock-retry.js';
import { countRowsCapped, listPartitionedTables } from './partition-catalog.js';
import {
  DEFAULT_MEMORY_RETENTION_POLICIES,
  DEFAULT_RETENTION_POLICIES,
  type MemoryRetentionPolicy,
  type RetentionPolicy,
  type TenantPlan,
} from './retention-policies.js';
import {
  ANONYMISE_APP_AUDIT_SQL,
  ANONYMISE_AUTH_AUDIT_SQL,
  COLLECTION_PHYSICAL_NAMES_SQL,
  COLLECTION_POINTS_BATCH_SQL,
  COUNT_AUTH_AUDIT_TO_ANONYMISE_SQL,
  COUNT_COLLECTION_POINTS_SQL,
  COUNT_DAILY_AGGREGATES_SQL,
  COUNT_MEMORY_POINTS_SQL,
  COUNT_REFRESH_TOKENS_SQL,
  countTenantRowsSql,
  DELETE_DAILY_AGGREGATES_SQL,
  deleteTenantRowsBatchSql,
  detachPartitionSql,
  dropPartitionSql,
  MEMORY_POINTS_IN_RANGE_SQL,
  MEMORY_POINTS_TABLE_EXISTS_SQL,
  PURGE_REFRESH_TOKENS_SQL,
  TENANT_RETENTION_SQL,
} from './retention-sql.js';

export {
  DEFAULT_MEMORY_RETENTION_POLICIES,
  DEFAULT_RETENTION_POLICIES,
  type MemoryRetentionPolicy,
  type RetentionPolicy,
  type TenantPlan,
} from './retention-policies.js';

/** Audit rows older than this lose IP address and user agent. */
export const DEFAULT_ANONYMISE_AFTER_DAYS = 90;
/** Revoked refresh tokens are kept this long for forensics. */
export const DEFAULT_REVOKED_TOKEN_DAYS = 30;

export type RetentionAction =
  | { kind: 'drop_partition'; table: string; partition: string; from: string; to: string; rows: number }
  | { kind: 'delete_daily_aggregates'; from: string; to: string; rows: number }
  | { kind: 'delete_memory_points'; from: string; to: string; rows: number }
  | {
      kind: 'delete_tenant_rows';
      table: string;
      column: string;
      tenantId: string;
      before: string;
      rows: number;
    }
  | {
      kind: 'delete_collection_points';
      collection: string;
      physical: string;
      tenantId: string;
      before: string;
      rows: number;
    }
  | { kind: 'anonymise_audit'; before: string; rows: number }
  | { kind: 'purge_refresh_tokens'; rows: number };

export interface RetentionOptions {
  /** Default DEFAULT_RETENTION_POLICIES. */
  policies?: readonly RetentionPolicy[];
  /** Default DEFAULT_MEMORY_RETENTION_POLICIES; a collection not listed keeps its points. */
  memoryPolicies?: readonly MemoryRetentionPolicy[];
  /** Directory under which each run writes its archive (`<dir>/retention-<timestamp>`). */
  archiveDirectory: string;
  dryRun?: boolean;
  now?: Date;
  anonymiseAfterDays?: number;
  lock?: LockRetryOptions;
  /** Signs the run's archive manifest (HMAC-SHA256); unset writes it unsigned. */
  archiveKey?: string;
  onProgress?: (done: number, total: number, action: RetentionAction) => void;
}

export interface RetentionReport {
  dryRun: boolean;
  archive: string | null;
  actions: (RetentionAction & { done: boolean; error?: string })[];
  manifest: ArchiveManifest | null;
}

const DAY_MS = 86_400_000;

async function count(db: Queryable, sql: string, values: unknown[]): Promise<number> {
  const { rows } = await db.query<{ n: string }>(sql, values, { operation: 'ops.retention.count' });
  return Number(rows[0]!.n);
}

async function memoryPointsExist(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(MEMORY_POINTS_TABLE_EXISTS_SQL);
  return rows[0]!.ok;
}

type TenantRetention = { id: string; plan: TenantPlan; workspace_retention_days: number };

/** Works out what a run would do. */
export async function planRetention(
  db: Queryable,
  options: Omit<RetentionOptions, 'archiveDirectory'>,
): Promise<RetentionAction[]> {
  const now = options.now ?? new Date();
  const policies = options.policies ?? DEFAULT_RETENTION_POLICIES;
  const tenants = (
    await db.query<TenantRetention>(TENANT_RETENTION_SQL, [], { operation: 'ops.retention.tenants' })
  ).rows;
  const partitioned = new Map((await listPartitionedTables(db)).map((t) => [t.table, t]));
  const withPoints = await memoryPointsExist(db);
  const actions: RetentionAction[] = [];
  for (const policy of policies) {
    const shape = await tableShape(db, policy.table).catch(() => undefined);
    if (shape === undefined) continue;
    const column = policy.column ?? shape.partitionColumn ?? 'created_at';
    const effective = (t: TenantRetention) =>
      policy.useWorkspaceRetention === true
        ? t.workspace_retention_days
        : (policy.byPlan?.[t.plan] ?? policy.days);
    // A whole partition goes only when its upper bound is past every tenant's cutoff (pg_partman#776).
    const keepDays = Math.max(policy.days, ...tenants.map(effective));
    const cutoff = new Date(now.getTime() - keepDays * DAY_MS);
    const table =
      partitioned.get(shape.qualified) ??
      partitioned.get(`${shape.schema}.${shape.name}`) ??
      partitioned.get(shape.name);
    // Partitions are dropped only when the policy ages rows by the partition key.
    const byPartition = table?.timeKey === true && column === shape.partitionColumn;
    let dropBoundary = new Date(0);
    if (byPartition) {
      for (const p of table.partitions) {
        if (p.isDefault || p.to === null || p.from === null || Date.parse(p.to) > cutoff.getTime()) continue;
        actions.push({
          kind: 'drop_partition',
          table: shape.qualified,
          partition: p.name,
          from: p.from,
          to: p.to,
          rows: await countRowsCapped(db, p.name),
        });
        if (Date.parse(p.to) > dropBoundary.getTime()) dropBoundary = new Date(p.to);
        if (policy.dailyAggregates === true) {
          actions.push({
            kind: 'delete_daily_aggregates',
            from: p.from,
            to: p.to,
            rows: await count(db, COUNT_DAILY_AGGREGATES_SQL, [p.from, p.to]),
          });
        }
        if (policy.memoryPoints === true && withPoints) {
          actions.push({
            kind: 'delete_memory_points',
            from: p.from,
            to: p.to,
            rows: await count(db, COUNT_MEMORY_POINTS_SQL, [p.from, p.to]),
          });
        }
      }
    }
    for (const t of tenants) {
      const days = effective(t);
      // In a partitioned table, a tenant that keeps the longest loses its rows with their partition.
      if (byPartition && days >= keepDays) continue;
      const before = new Date(now.getTime() - days * DAY_MS);
      const rows = await count(db, countTenantRowsSql(shape.qualified, quoteIdent(column)), [
        t.id,
        dropBoundary,
        before,
      ]);
      if (rows > 0)
        actions.push({
          kind: 'delete_tenant_rows',
          table: shape.qualified,
          column,
          tenantId: t.id,
          before: before.toISOString(),
          rows,
        });
    }
  }
  if (withPoints)
    actions.push(
      ...(await planMemoryRetention(
        db,
        options.memoryPolicies ?? DEFAULT_MEMORY_RETENTION_POLICIES,
        tenants,
        now,
      )),
    );
  const anonymiseBefore = new Date(
    now.getTime() - (options.anonymiseAfterDays ?? DEFAULT_ANONYMISE_AFTER_DAYS) * DAY_MS,
  );
  const toAnonymise = await count(db, COUNT_AUTH_AUDIT_TO_ANONYMISE_SQL, [anonymiseBefore]);
  if (toAnonymise > 0)
    actions.push({ kind: 'anonymise_audit', before: anonymiseBefore.toISOString(), rows: toAnonymise });
  const revokedBefore = new Date(now.getTime() - DEFAULT_REVOKED_TOKEN_DAYS * DAY_MS);
  const tokens = await count(db, COUNT_REFRESH_TOKENS_SQL, [now, revokedBefore]);
  if (tokens > 0) actions.push({ kind: 'purge_refresh_tokens', rows: tokens });
  return actions;
}

/** Each tenant's points of each collection older than the collection's policy for its plan. */
async function planMemoryRetention(
  db: Queryable,
  policies: readonly MemoryRetentionPolicy[],
  tenants: readonly TenantRetention[],
  now: Date,
): Promise<RetentionAction[]> {
  const actions: RetentionAction[] = [];
  for (const policy of policies) {
    const { rows: versions } = await db.query<{ physical_name: string }>(
      COLLECTION_PHYSICAL_NAMES_SQL,
      [policy.collection],
      { operation: 'ops.retention.collection_versions' },
    );
    for (const t of tenants) {
      const days = policy.byPlan?.[t.plan] ?? policy.days;
      if (days === null) continue;
      const before = new Date(now.getTime() - days * DAY_MS);
      for (const { physical_name: physical } of versions) {
        const rows = await count(db, COUNT_COLLECTION_POINTS_SQL, [t.id, physical, before]);
        if (rows > 0)
          actions.push({
            kind: 'delete_collection_points',
            collection: policy.collection,
            physical,
            tenantId: t.id,
            before: before.toISOString(),
            rows,
          });
      }
    }
  }
  return actions;
}

/**
 * Removes a tenant's points of one physical collection created before `before`, 1 000 at a time,
 * through the memory layer's delete (outbox included, so the vector index follows).
 */
async function deleteCollectionPoints(
  db: Queryable,
  tenantId: string,
  physical: string,
  before: string,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { rows } = await db.query<{ id: string }>(
      COLLECTION_POINTS_BATCH_SQL,
      [tenantId, physical, before, 1000],
      { operation: 'ops.retention.collection_points' },
    );
    if (rows.length === 0) return deleted;
    deleted += await deletePoints(
      db,
      tenantId,
      physical,
      rows.map((r) => r.id),
    );
  }
}

/** Removes the memory points created in a range through the memory layer (outbox included). */
async function deleteMemoryPoints(db: Queryable, from: string, to: string): Promise<number> {
  const { rows } = await db.query<{ tenant_id: string; collection: string; ids: string[] }>(
    MEMORY_POINTS_IN_RANGE_SQL,
    [from, to],
    {
      operation: 'ops.retention.memory_points',
    },
  );
  let deleted = 0;
  for (const group of rows) {
    for (let i = 0; i < group.ids.length; i += 1000) {
      deleted += await deletePoints(db, group.tenant_id, group.collection, group.ids.slice(i, i + 1000));
    }
  }
  return deleted;
}

/**
 * Runs (or with `dryRun` only plans) retention. Every range is exported and the manifest written
 * before anything is dropped or deleted.
 */
export async function runRetention(
  db: Queryable,
  source: SessionSource,
  options: RetentionOptions,
): Promise<RetentionReport> {
  const now = options.now ?? new Date();
  const planned = await planRetention(db, options);
  if (options.dryRun === true) {
    return {
      dryRun: true,
      archive: null,
      actions: planned.map((a) => ({ ...a, done: false })),
      manifest: null,
    };
  }
  const directory = join(options.archiveDirectory, `retention-${now.toISOString().replace(/[:.]/g, '-')}`);
  const files: ArchiveFile[] = [];
  let manifest: ArchiveManifest | null = null;
  const report: RetentionReport = { dryRun: false, archive: directory, actions: [], manifest: null };
  const archive = async (range: Parameters<typeof exportRange>[3]) => {
    files.push(await exportRange(db, source, directory, range));
    // The manifest on disk always lists every file before the rows go.
    manifest = await writeManifest(db, directory, files, options.archiveKey);
  };
  for (const [i, action] of planned.entries()) {
    options.onProgress?.(i, planned.length, action);
    try {
      switch (action.kind) {
        case 'drop_partition': {
          await archive({ table: action.table, from: new Date(action.from), to: new Date(action.to) });
          await withLockRetry(
            source,
            'ops.retention.drop_partition',
            async (tx) => {
              await tx.query(detachPartitionSql(action.table, action.partition));
              await tx.query(dropPartitionSql(action.partition));
            },
            options.lock,
          );
          break;
        }
        case 'delete_daily_aggregates':
          // The partition that held every task of these days is gone (archived first): their
          // aggregates go too, and a restore of the archive adds them back through the triggers.
          await db.query(DELETE_DAILY_AGGREGATES_SQL, [action.from, action.to], {
            operation: 'ops.retention.daily_aggregates',
          });
          break;
        case 'delete_memory_points':
          await archive({
            table: 'public.memory_points',
            column: 'created_at',
            from: new Date(action.from),
            to: new Date(action.to),
          });
          await deleteMemoryPoints(db, action.from, action.to);
          break;
        case 'delete_tenant_rows': {
          const shape = await tableShape(db, action.table);
          const column = action.column;
          await archive({
            table: action.table,
            column,
            from: new Date(0),
            to: new Date(action.before),
            tenantId: action.tenantId,
          });
          // Batches of 10 000 by primary key: short transactions, no long lock or vacuum debt at once.
          const keys = shape.keys.map(quoteIdent).join(', ');
          for (;;) {
            const r = await db.query(
              deleteTenantRowsBatchSql(action.table, keys, quoteIdent(column)),
              [action.tenantId, action.before],
              { operation: 'ops.retention.delete_tenant_rows', timeoutMs: 600_000 },
            );
            if (r.rowCount === 0) break;
          }
          break;
        }
        case 'delete_collection_points':
          await archive({
            table: 'public.memory_points',
            column: 'created_at',
            from: new Date(0),
            to: new Date(action.before),
            tenantId: action.tenantId,
            collection: action.physical,
          });
          await deleteCollectionPoints(db, action.tenantId, action.physical, action.before);
          break;
        case 'anonymise_audit':
          await db.query(ANONYMISE_AUTH_AUDIT_SQL, [action.before], { operation: 'ops.retention.anonymise' });
          await db.query(ANONYMISE_APP_AUDIT_SQL, [action.before], { operation: 'ops.retention.anonymise' });
          break;
        case 'purge_refresh_tokens':
          await db.query(
            PURGE_REFRESH_TOKENS_SQL,
            [now, new Date(now.getTime() - DEFAULT_REVOKED_TOKEN_DAYS * DAY_MS)],
            {
              operation: 'ops.retention.refresh_tokens',
            },
          );
          break;
        default: {
          const never: never = action;
          throw new Error(`unknown retention action ${JSON.stringify(never)}`);
        }
      }
      report.actions.push({ ...action, done: true });
    } catch (error) {
      report.actions.push({
        ...action,
        done: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  report.manifest = manifest;
  if (files.length === 0) report.archive = null;
  return report;
}
