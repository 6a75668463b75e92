/**
 * Statement analysis with the real PostgreSQL parser (libpg-query, WASM): how many statements a
 * text holds, whether it writes (INSERT/UPDATE/DELETE/MERGE, data-modifying CTEs, SELECT … FOR
 * UPDATE/INTO), which `$n` parameters it uses, which tables and columns it mentions and which
 * functions it calls.
 */
import { parse } from 'libpg-query';
import { ShannonError, ValidationError } from '../errors/errors.js';

export type StatementKind = 'read' | 'write';

export interface StatementInfo {
  kind: StatementKind;
  /** Top-level node type (`SelectStmt`, `DeleteStmt`, …). */
  type: string;
  /** Highest `$n` used (0 when none). */
  parameters: number;
  /** Relation names referenced anywhere (schema-qualified when written so). */
  relations: string[];
  /** Column names referenced anywhere (last name part). */
  columns: string[];
  /**
   * Functions called anywhere, lower case and schema-qualified when written so (`count`,
   * `pg_catalog.extract`: the parser spells EXTRACT, SUBSTRING, TRIM … that way).
   */
  functions: string[];
}

const EXPLAINABLE: ReadonlySet<string> = new Set([
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
]);
const WRITING: ReadonlySet<string> = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

interface Walk {
  writes: boolean;
  parameters: number;
  relations: Set<string>;
  columns: Set<string>;
  functions: Set<string>;
}

function walk(node: unknown, acc: Walk): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, acc);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (WRITING.has(key)) acc.writes = true;
    if (key === 'SelectStmt' && value !== null && typeof value === 'object') {
      const s = value as { intoClause?: unknown; lockingClause?: unknown };
      if (s.intoClause !== undefined || s.lockingClause !== undefined) acc.writes = true;
    }
    if (key === 'ParamRef' && value !== null && typeof value === 'object') {
      const n = (value as { number?: number }).number ?? 0;
      acc.parameters = Math.max(acc.parameters, n);
    }
    // FROM items are wrapped as RangeVar; DML targets appear as a bare `relation` object.
    if ((key === 'RangeVar' || key === 'relation') && value !== null && typeof value === 'object') {
      const r = value as { schemaname?: string; relname?: string };
      if (r.relname !== undefined)
        acc.relations.add(r.schemaname ? `${r.schemaname}.${r.relname}` : r.relname);
    }
    if (key === 'FuncCall' && value !== null && typeof value === 'object') {
      const parts = (value as { funcname?: { String?: { sval?: string } }[] }).funcname ?? [];
      acc.functions.add(parts.map((p) => (p.String?.sval ?? '?').toLowerCase()).join('.'));
    }
    if (key === 'ColumnRef' && value !== null && typeof value === 'object') {
      const fields = (value as { fields?: { String?: { sval?: string } }[] }).fields ?? [];
      const last = fields.at(-1)?.String?.sval;
      if (last !== undefined) acc.columns.add(last);
    }
    walk(value, acc);
  }
}

/** Parses one statement. @throws ValidationError(field) for syntax errors, several statements or non-DML. */
export async function analyzeStatement(sql: string, field = 'sql'): Promise<StatementInfo> {
  let tree: { stmts?: { stmt: Record<string, unknown> }[] };
  try {
    tree = (await parse(sql)) as typeof tree;
  } catch (error) {
    throw new ValidationError(
      field,
      `not valid SQL: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length !== 1) {
    throw new ShannonError('UNSAFE_STATEMENT', `exactly one statement is allowed, got ${stmts.length}`, {
      field,
      details: { statements: stmts.length },
    });
  }
  const stmt = stmts[0]!.stmt;
  const type = Object.keys(stmt)[0] ?? 'unknown';
  if (!EXPLAINABLE.has(type)) {
    throw new ShannonError(
      'UNSAFE_STATEMENT',
      `only SELECT, INSERT, UPDATE, DELETE and MERGE can be explained, got ${type}`,
      {
        field,
        details: { type },
      },
    );
  }
  const acc: Walk = {
    writes: WRITING.has(type),
    parameters: 0,
    relations: new Set(),
    columns: new Set(),
    functions: new Set(),
  };
  walk(stmt, acc);
  return {
    kind: acc.writes ? 'write' : 'read',
    type,
    parameters: acc.parameters,
    relations: [...acc.relations],
    columns: [...acc.columns],
    functions: [...acc.functions],
  };
}
