/** Doctor checks on partitioned tables: partitions missing ahead, gaps, default partitions with rows. */
import type { Queryable } from '../postgres/queryable.js';
import type { DoctorThresholds } from './doctor-thresholds.js';
import type { DoctorChecks, Finding } from './finding.js';
import { countRowsCapped, covers, gaps, listPartitionedTables, monthStart } from './partition-catalog.js';

/** Partition coverage findings for every partitioned table of the database. */
export async function checkPartitions(
  db: Queryable,
  t: DoctorThresholds,
  now = new Date(),
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const table of await listPartitionedTables(db)) {
    const def = table.partitions.find((p) => p.isDefault);
    if (def !== undefined) {
      const rows = await countRowsCapped(db, def.name, 1_000_000);
      if (rows > 0) {
        findings.push({
          code: 'PARTITION_DEFAULT_HAS_ROWS',
          severity: 'warning',
          object: def.name,
          evidence: { table: table.table, rows, capped_at: 1_000_000 },
          fix: `shannon-data partitions maintain   # creates the missing months and moves the default partition's rows into them`,
        });
      }
    }
    if (!table.timeKey) continue;
    for (let m = 1; m <= t.partitionMonthsAhead; m++) {
      const start = monthStart(now, m);
      if (covers(table, start)) continue;
      findings.push({
        code: 'PARTITION_MISSING_AHEAD',
        severity: m === 1 ? 'warning' : 'info',
        object: table.table,
        evidence: {
          missing_month: start.toISOString().slice(0, 7),
          latest_partition_end: table.partitions.filter((p) => !p.isDefault).at(-1)?.to ?? null,
          has_default: def !== undefined,
        },
        fix: 'shannon-data partitions maintain',
      });
    }
    for (const g of gaps(table)) {
      findings.push({
        code: 'PARTITION_GAP',
        severity: 'warning',
        object: table.table,
        evidence: { gap_from: g.from, gap_to: g.to },
        fix: 'shannon-data partitions maintain   # fills monthly gaps',
      });
    }
  }
  return findings;
}

/** The partition check, run by the doctor in this order. */
export const PARTITION_CHECKS: DoctorChecks = {
  partitions: (db, t) => checkPartitions(db, t),
};
