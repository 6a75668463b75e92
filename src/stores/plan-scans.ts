/** Reading EXPLAIN (FORMAT JSON) output: the scan nodes of a plan tree. */

/** One scan node of a plan: its type, relation (partition) and index. */
export interface PlanScan {
  nodeType: string;
  relation: string | null;
  index: string | null;
}

/** Collects every scan node of an `EXPLAIN (FORMAT JSON)` plan tree, init plans and subplans included. */
export function planScans(plan: unknown): PlanScan[] {
  const out: PlanScan[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    const type = n['Node Type'];
    if (typeof type === 'string' && (type.endsWith('Scan') || type === 'Bitmap Index Scan')) {
      out.push({
        nodeType: type,
        relation: typeof n['Relation Name'] === 'string' ? n['Relation Name'] : null,
        index: typeof n['Index Name'] === 'string' ? n['Index Name'] : null,
      });
    }
    const children = n['Plans'];
    if (Array.isArray(children)) for (const child of children) visit(child);
  };
  const root = Array.isArray(plan) ? (plan[0] as Record<string, unknown> | undefined)?.['Plan'] : plan;
  visit(root);
  return out;
}
