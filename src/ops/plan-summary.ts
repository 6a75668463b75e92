/**
 * Summarises an EXPLAIN (FORMAT JSON) plan: sequential scans of large tables, row misestimates
 * (ANALYZE only), sorts and hashes spilling to disk, and the costliest node by exclusive cost.
 */

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  Alias?: string;
  'Index Name'?: string;
  'Startup Cost': number;
  'Total Cost': number;
  'Plan Rows': number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Actual Total Time'?: number;
  'Sort Method'?: string;
  'Sort Space Type'?: string;
  'Sort Space Used'?: number;
  'Hash Batches'?: number;
  'Original Hash Batches'?: number;
  'Peak Memory Usage'?: number;
  'Temp Written Blocks'?: number;
  Filter?: string;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

export interface PlanSummary {
  totalCost: number;
  seqScansOfLargeTables: { relation: string; tableRows: number; planRows: number; filter: string | null }[];
  misestimates: {
    node: string;
    relation: string | null;
    planRows: number;
    actualRows: number;
    factor: number;
  }[];
  spills: { node: string; detail: string }[];
  costliestNode: { node: string; relation: string | null; exclusiveCost: number; share: number } | null;
  /** Index names used anywhere in the plan (hypothetical ones included). */
  indexesUsed: string[];
}

/** Visits every node depth-first. */
export function eachNode(plan: PlanNode, fn: (node: PlanNode) => void): void {
  fn(plan);
  for (const child of plan.Plans ?? []) eachNode(child, fn);
}

function label(n: PlanNode): string {
  return n['Relation Name'] === undefined ? n['Node Type'] : `${n['Node Type']} on ${n['Relation Name']}`;
}

/**
 * Summarises a plan. `tableRows` maps relation names to their estimated row counts (pg_class);
 * a sequential scan counts as "large" at `largeTableRows` rows or more.
 */
export function summarizePlan(
  plan: PlanNode,
  tableRows: ReadonlyMap<string, number>,
  largeTableRows = 10_000,
): PlanSummary {
  const summary: PlanSummary = {
    totalCost: plan['Total Cost'],
    seqScansOfLargeTables: [],
    misestimates: [],
    spills: [],
    costliestNode: null,
    indexesUsed: [],
  };
  let best: { node: PlanNode; cost: number } | null = null;
  const indexes = new Set<string>();
  eachNode(plan, (n) => {
    if (n['Index Name'] !== undefined) indexes.add(n['Index Name']);
    const rel = n['Relation Name'];
    if (n['Node Type'] === 'Seq Scan' && rel !== undefined) {
      const rows = tableRows.get(rel) ?? 0;
      if (rows >= largeTableRows) {
        summary.seqScansOfLargeTables.push({
          relation: rel,
          tableRows: rows,
          planRows: n['Plan Rows'],
          filter: n.Filter ?? null,
        });
      }
    }
    if (n['Actual Rows'] !== undefined) {
      const actual = n['Actual Rows'] * (n['Actual Loops'] ?? 1);
      const planned = n['Plan Rows'] * (n['Actual Loops'] ?? 1);
      const factor = Math.max(actual, 1) / Math.max(planned, 1);
      if ((factor >= 10 || factor <= 0.1) && Math.abs(actual - planned) >= 100) {
        summary.misestimates.push({
          node: n['Node Type'],
          relation: rel ?? null,
          planRows: planned,
          actualRows: actual,
          factor: Math.round((factor >= 1 ? factor : -1 / factor) * 10) / 10,
        });
      }
    }
    if (n['Sort Space Type'] === 'Disk') {
      summary.spills.push({
        node: label(n),
        detail: `${n['Sort Method'] ?? 'sort'} used ${n['Sort Space Used'] ?? '?'} kB on disk`,
      });
    }
    if ((n['Hash Batches'] ?? 1) > 1) {
      summary.spills.push({
        node: label(n),
        detail: `hash used ${n['Hash Batches']} batches (originally ${n['Original Hash Batches'] ?? '?'}); raise work_mem`,
      });
    }
    const childCost = (n.Plans ?? []).reduce((s, c) => s + c['Total Cost'], 0);
    const exclusive = Math.max(0, n['Total Cost'] - childCost);
    if (best === null || exclusive > best.cost) best = { node: n, cost: exclusive };
  });
  summary.indexesUsed = [...indexes];
  const top = best as { node: PlanNode; cost: number } | null;
  if (top !== null) {
    summary.costliestNode = {
      node: top.node['Node Type'],
      relation: top.node['Relation Name'] ?? null,
      exclusiveCost: Math.round(top.cost * 100) / 100,
      share: plan['Total Cost'] > 0 ? Math.round((top.cost / plan['Total Cost']) * 1000) / 1000 : 0,
    };
  }
  return summary;
}
