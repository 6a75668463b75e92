/**
 * Index advice verified with hypothetical indexes (hypopg) on one pinned connection. Candidates:
 * the columns each workload statement references on the tables its plan scans sequentially;
 * single columns first, then ordered pairs (Dexter's passes). A candidate is kept only when the
 * planner cost of the statements it serves drops by at least half (90% on write-heavy tables),
 * and never when an existing index already leads with the same columns.
 */
import { type Queryable, SESSION_DEADLINE_GRACE_MS, type SessionSource } from '../postgres/queryable.js';
import { HOT_QUERIES } from '../stores/hot-queries.js';
import { deallocate, explainInSession, preparedStatementName } from './explain.js';
import { extensionMissing, hypopgState, statementStatsState } from './extensions.js';
import { quoteIdent } from './finding.js';
import {
  AVG_ROW_WIDTH_SQL,
  EXISTING_INDEXES_SQL,
  HYPOPG_CREATE_SQL,
  HYPOPG_RESET_SQL,
  RESOLVE_TABLES_SQL,
  TABLE_COLUMNS_SQL,
  TABLE_TRAFFIC_SQL,
} from './index-advisor-sql.js';
import { eachNode, type PlanNode } from './plan-summary.js';
import { analyzeStatement } from './sql-statement.js';
import { captureStatementStats, statementWorkload } from './statement-stats.js';

/** A statement to consider, with where it comes from. */
export interface WorkloadStatement {
  sql: string;
  /** Code path or source: `pg_stat_statements`, or the data layer's operation name. */
  origin: string;
  calls: number;
  queryid?: string;
}

export interface AdviseOptions {
  /** Statements the data layer issues itself (tagged with their operation), added to pg_stat_statements'. */
  workload?: WorkloadStatement[];
  /** Skip pg_stat_statements (only the given workload). */
  skipStatementStats?: boolean;
  /** Add the stores' declared hot queries (origin `stores:<pattern>`); default true. */
  includeDeclared?: boolean;
  windowHours?: number;
  minCalls?: number;
  /** Statements cheaper than this planner cost are not worth an index (Dexter: 100). */
  minCost?: number;
  /** Required cost drop (0.5 = at least half). */
  minSaving?: number;
  /** Required cost drop on write-heavy tables. */
  minSavingWriteHeavy?: number;
  /** reads:writes (rows) below which a table counts as write-heavy (dexter#6: 3). */
  writeHeavyRatio?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface HelpedStatement {
  origin: string;
  queryid: string | null;
  query: string;
  calls: number;
  costBefore: number;
  costAfter: number;
  /** costAfter / costBefore. */
  ratio: number;
}

export interface IndexSuggestion {
  table: string;
  columns: string[];
  createStatement: string;
  writeHeavy: boolean;
  /** Bytes written to the index per byte written to the table (pganalyze's Index Write Overhead). */
  writeOverhead: number;
  readsPerWrite: number | null;
  statements: HelpedStatement[];
}

export interface AdviseReport {
  hypopgVersion: string;
  examined: number;
  suggestions: IndexSuggestion[];
  skipped: { query: string; origin: string; reason: string }[];
}

interface Candidate {
  tableOid: number;
  table: string;
  columns: string[];
}

const OWN_SCHEMAS = /\b(pg_catalog|information_schema|shannon_ops|pg_stat_statements|hypopg)\b/i;

function originOf(query: string): string {
  const tag = /^\s*\/\*\s*(?:origin|operation)[:=]\s*([\w.:-]+)\s*\*\//i.exec(query);
  return tag?.[1] ?? 'pg_stat_statements';
}

function indexName(c: Candidate): string {
  const base = c.table.replace(/^.*\./, '').replace(/"/g, '');
  return `${base}_${c.columns.join('_')}_idx`.slice(0, 63);
}

function createStatement(c: Candidate, relkind: string): string {
  const cols = c.columns.map(quoteIdent).join(', ');
  const name = quoteIdent(indexName(c));
  if (relkind === 'p') {
    // CREATE INDEX CONCURRENTLY cannot target a partitioned table (dexter#64).
    return `CREATE INDEX ${name} ON ONLY ${c.table} (${cols}); -- then per partition: CREATE INDEX CONCURRENTLY … ; ALTER INDEX ${name} ATTACH PARTITION …`;
  }
  return `CREATE INDEX CONCURRENTLY ${name} ON ${c.table} (${cols});`;
}

async function explainCost(
  session: Queryable,
  sql: string,
  parameters: number,
  readOnly: boolean,
  timeoutMs: number,
) {
  const prepared = preparedStatementName();
  await session.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
  try {
    await session.query(`SELECT set_config('statement_timeout', $1, true)`, [String(timeoutMs)]);
    const { plan } = await explainInSession(session, sql, parameters, false, prepared);
    return plan;
  } finally {
    await session.query('ROLLBACK');
    if (parameters > 0) await deallocate(session, prepared);
  }
}

function seqScanRelations(plan: PlanNode): string[] {
  const out = new Set<string>();
  eachNode(plan, (n) => {
    if (n['Relation Name'] !== undefined && (n['Node Type'] === 'Seq Scan' || n.Filter !== undefined)) {
      out.add(n['Relation Name']);
    }
  });
  return [...out];
}

function usedIndexes(plan: PlanNode): Set<string> {
  const out = new Set<string>();
  eachNode(plan, (n) => {
    if (n['Index Name'] !== undefined) out.add(n['Index Name']);
  });
  return out;
}

/** Gathers the statements to examine: pg_stat_statements' (deltas of the window) plus the given ones. */
async function gatherWorkload(db: Queryable, options: AdviseOptions): Promise<WorkloadStatement[]> {
  const out: WorkloadStatement[] = [...(options.workload ?? [])];
  if (options.includeDeclared !== false) {
    // The SQL the stores run, tagged with its pattern id: advice exists before the traffic does.
    for (const q of HOT_QUERIES) out.push({ sql: q.sql, origin: `stores:${q.id}`, calls: 0 });
  }
  if (options.skipStatementStats === true) return out;
  const state = await statementStatsState(db);
  if (!state.usable) return out;
  await captureStatementStats(db);
  for (const w of await statementWorkload(db, options.windowHours ?? 24 * 7, 200)) {
    if (w.calls < (options.minCalls ?? 10) || OWN_SCHEMAS.test(w.query)) continue;
    out.push({ sql: w.query, origin: originOf(w.query), calls: w.calls, queryid: w.queryid });
  }
  return out;
}

/**
 * Proposes indexes for the workload, each proven with hypopg cost before/after.
 * @throws ShannonError EXTENSION_MISSING when hypopg is not installed.
 */
export async function adviseIndexes(
  db: Queryable,
  source: SessionSource,
  options: AdviseOptions = {},
): Promise<AdviseReport> {
  const hypopg = await hypopgState(db);
  if (!hypopg.usable) throw extensionMissing('hypopg', hypopg.reason ?? 'not installed');
  const minCost = options.minCost ?? 100;
  const minSaving = options.minSaving ?? 0.5;
  const minSavingWriteHeavy = options.minSavingWriteHeavy ?? 0.9;
  const writeHeavyRatio = options.writeHeavyRatio ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const workload = await gatherWorkload(db, options);
  const skipped: AdviseReport['skipped'] = [];
  const byKey = new Map<string, { candidate: Candidate; relkind: string; statements: HelpedStatement[] }>();

  await source.withSession(
    async (session) => {
      for (const [i, w] of workload.entries()) {
        options.onProgress?.(i, workload.length);
        const skip = (reason: string) =>
          skipped.push({ query: w.sql.slice(0, 300), origin: w.origin, reason });
        let info: Awaited<ReturnType<typeof analyzeStatement>>;
        try {
          info = await analyzeStatement(w.sql);
        } catch {
          skip('not a single explainable statement');
          continue;
        }
        const readOnly = info.kind === 'read';
        await session.query(HYPOPG_RESET_SQL);
        let before: PlanNode;
        try {
          before = await explainCost(session, w.sql, info.parameters, readOnly, timeoutMs);
        } catch (error) {
          skip(`EXPLAIN failed: ${error instanceof Error ? error.message : String(error)}`);
          continue;
        }
        const costBefore = before['Total Cost'];
        if (costBefore < minCost) {
          skip(`planner cost ${costBefore} is below ${minCost}`);
          continue;
        }
        const scanned = seqScanRelations(before);
        if (scanned.length === 0) {
          skip('no sequential scan or filter to serve');
          continue;
        }
        const resolved = await session.query<{
          name: string;
          table_oid: number;
          table_name: string;
          relkind: string;
        }>(RESOLVE_TABLES_SQL, [scanned]);
        const tables = new Map(resolved.rows.map((r) => [Number(r.table_oid), r]));
        const oids = [...tables.keys()];
        const cols = await session.query<{ table_oid: number; column_name: string }>(TABLE_COLUMNS_SQL, [
          oids,
        ]);
        const referenced = new Set(info.columns);
        const perTable = new Map<number, string[]>();
        for (const c of cols.rows) {
          if (!referenced.has(c.column_name)) continue;
          const list = perTable.get(Number(c.table_oid)) ?? [];
          list.push(c.column_name);
          perTable.set(Number(c.table_oid), list);
        }
        const singles: Candidate[] = [];
        const pairs: Candidate[] = [];
        for (const [oid, columns] of perTable) {
          const table = tables.get(oid)!.table_name;
          const limited = columns.slice(0, 8);
          for (const a of limited) singles.push({ tableOid: oid, table, columns: [a] });
          for (const a of limited)
            for (const b of limited) if (a !== b) pairs.push({ tableOid: oid, table, columns: [a, b] });
        }
        if (singles.length === 0) {
          skip('no btree-indexable column referenced on the scanned tables');
          continue;
        }
        const tryCandidates = async (set: Candidate[]) => {
          await session.query(HYPOPG_RESET_SQL);
          const names = new Map<string, Candidate>();
          for (const c of set) {
            const cols = c.columns.map(quoteIdent).join(', ');
            const r = await session.query<{ name: string }>(HYPOPG_CREATE_SQL, [
              `CREATE INDEX ON ${c.table} (${cols})`,
            ]);
            names.set(r.rows[0]!.name, c);
          }
          const plan = await explainCost(session, w.sql, info.parameters, readOnly, timeoutMs);
          const used = [...usedIndexes(plan)]
            .map((n) => names.get(n))
            .filter((c): c is Candidate => c !== undefined);
          return { cost: plan['Total Cost'], used };
        };
        // Pass 1: one single-column index per referenced column; pass 2 adds ordered pairs.
        const pass1 = await tryCandidates(singles);
        let chosen: Candidate | undefined = pass1.used.length === 1 ? pass1.used[0] : undefined;
        let chosenCost = pass1.cost;
        if (pairs.length > 0 && pass1.cost > minCost) {
          const pass2 = await tryCandidates([...singles, ...pairs.slice(0, 60)]);
          const pair = pass2.used.find((c) => c.columns.length === 2);
          if (pass2.used.length === 1 && pair !== undefined && pass2.cost <= pass1.cost * 0.5) {
            chosen = pair;
            chosenCost = pass2.cost;
          }
        }
        if (chosen === undefined && pass1.used.length > 1) {
          // Pass 3: several new indexes were used together; keep the single best one alone.
          let best: { c: Candidate; cost: number } | undefined;
          for (const c of pass1.used) {
            const alone = await tryCandidates([c]);
            if (best === undefined || alone.cost < best.cost) best = { c, cost: alone.cost };
          }
          chosen = best?.c;
          chosenCost = best?.cost ?? costBefore;
        }
        if (chosen === undefined) {
          skip('no hypothetical index changed the plan');
          continue;
        }
        // The proof: the chosen index alone.
        const alone = await tryCandidates([chosen]);
        chosenCost = alone.cost;
        await session.query(HYPOPG_RESET_SQL);
        const key = `${chosen.tableOid}:${chosen.columns.join(',')}`;
        const entry = byKey.get(key) ?? {
          candidate: chosen,
          relkind: tables.get(chosen.tableOid)!.relkind,
          statements: [],
        };
        entry.statements.push({
          origin: w.origin,
          queryid: w.queryid ?? null,
          query: w.sql.slice(0, 500),
          calls: w.calls,
          costBefore,
          costAfter: chosenCost,
          ratio: Math.round((chosenCost / costBefore) * 10_000) / 10_000,
        });
        byKey.set(key, entry);
      }
      options.onProgress?.(workload.length, workload.length);
      // Each EXPLAIN runs under its own statement_timeout of `timeoutMs`; the client deadline backs it up.
    },
    { operation: 'ops.advise_indexes', timeoutMs: timeoutMs + SESSION_DEADLINE_GRACE_MS },
  );

  const oids = [...new Set([...byKey.values()].map((e) => e.candidate.tableOid))];
  const existing = await db.query<{
    table_oid: number;
    index_name: string;
    method: string;
    columns: (string | null)[];
    partial: boolean;
  }>(EXISTING_INDEXES_SQL, [oids]);
  const traffic = await db.query<{ table_oid: number; rows_read: number; rows_written: number }>(
    TABLE_TRAFFIC_SQL,
    [oids],
  );
  const widths = await db.query<{ table_oid: number; row_width: number }>(AVG_ROW_WIDTH_SQL, [oids]);
  const columnWidths = await db.query<{ table_oid: number; column_name: string; avg_width: number }>(
    TABLE_COLUMNS_SQL,
    [oids],
  );
  const suggestions: IndexSuggestion[] = [];
  for (const { candidate, relkind, statements } of byKey.values()) {
    const covered = existing.rows.some(
      (e) =>
        Number(e.table_oid) === candidate.tableOid &&
        !e.partial &&
        e.method === 'btree' &&
        candidate.columns.every((c, i) => e.columns[i] === c),
    );
    if (covered) {
      for (const s of statements)
        skipped.push({
          query: s.query,
          origin: s.origin,
          reason: 'an existing index already covers the candidate',
        });
      continue;
    }
    const t = traffic.rows.find((r) => Number(r.table_oid) === candidate.tableOid);
    const readsPerWrite = t === undefined || t.rows_written === 0 ? null : t.rows_read / t.rows_written;
    const writeHeavy = readsPerWrite !== null && readsPerWrite < writeHeavyRatio;
    const required = writeHeavy ? minSavingWriteHeavy : minSaving;
    const kept = statements.filter((s) => s.ratio <= 1 - required);
    for (const s of statements.filter((x) => !kept.includes(x))) {
      skipped.push({
        query: s.query,
        origin: s.origin,
        reason: `cost drops only to ${Math.round(s.ratio * 100)}% (needs ≤ ${Math.round((1 - required) * 100)}%)`,
      });
    }
    if (kept.length === 0) continue;
    const rowWidth = widths.rows.find((r) => Number(r.table_oid) === candidate.tableOid)?.row_width ?? 100;
    const keyWidth = candidate.columns.reduce(
      (sum, c) =>
        sum +
        (columnWidths.rows.find((r) => Number(r.table_oid) === candidate.tableOid && r.column_name === c)
          ?.avg_width ?? 8),
      8,
    );
    suggestions.push({
      table: candidate.table,
      columns: candidate.columns,
      createStatement: createStatement(candidate, relkind),
      writeHeavy,
      writeOverhead: Math.round((keyWidth / rowWidth) * 1000) / 1000,
      readsPerWrite: readsPerWrite === null ? null : Math.round(readsPerWrite * 100) / 100,
      statements: kept.sort(
        (a, b) => b.calls * (b.costBefore - b.costAfter) - a.calls * (a.costBefore - a.costAfter),
      ),
    });
  }
  // Most valuable first: frequency-weighted cost saved.
  const value = (s: IndexSuggestion) =>
    s.statements.reduce((v, q) => v + q.calls * (q.costBefore - q.costAfter), 0);
  suggestions.sort((a, b) => value(b) - value(a));
  return { hypopgVersion: hypopg.version ?? '?', examined: workload.length, suggestions, skipped };
}
