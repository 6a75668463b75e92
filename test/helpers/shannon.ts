/**
 * Runs Shannon's own schema and SQL (vendored in test/fixtures/shannon) so tests can compare what
 * Shannon sends against Shannon's schema and against ours.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { SHANNON_STATEMENTS, type ShannonStatement } from '../fixtures/shannon/statements.js';

export const SHANNON_MIGRATIONS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'shannon',
  'migrations',
);

interface QueryTarget {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Splits a SQL file into statements the way psql does: on semicolons outside quotes, dollar
 * quotes and comments. Comment-only pieces are dropped.
 */
export function splitSqlStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  let hasCode = false;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      // A doubled quote inside the literal is an escaped quote: the loop just re-enters.
      const end = text.indexOf(c, i + 1);
      i = end === -1 ? text.length : end + 1;
      hasCode = true;
      continue;
    }
    if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i))?.[0];
      if (tag !== undefined) {
        const end = text.indexOf(tag, i + tag.length);
        i = end === -1 ? text.length : end + tag.length;
        hasCode = true;
        continue;
      }
    }
    if (c === ';') {
      if (hasCode) statements.push(text.slice(start, i + 1).trim());
      start = i + 1;
      hasCode = false;
    } else if (!/\s/.test(c)) {
      hasCode = true;
    }
    i++;
  }
  if (hasCode) statements.push(text.slice(start).trim());
  return statements;
}

/** The vendored migration files in the order Shannon applies them (file-name order). */
export function shannonMigrationFiles(): string[] {
  // docker-entrypoint-initdb.d runs the mounted files sorted by name; plain code-unit order
  // matches it for these ASCII names (010_auth_user_link before 010_session_context_indexes).
  return readdirSync(SHANNON_MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/**
 * Applies Shannon's migrations to an empty database. Shannon has no migration runner: the
 * postgres image's docker-entrypoint runs each file of migrations/postgres once, in name order,
 * through psql, which sends one statement at a time in autocommit mode. This does the same, so
 * 118's CREATE INDEX CONCURRENTLY runs outside a transaction and 005's own BEGIN/COMMIT holds.
 * Pass a single connection (a pg.Client), not a pool: 005's BEGIN and COMMIT must share one.
 */
export async function applyShannonMigrations(db: QueryTarget): Promise<void> {
  // 003 grants to the role `shannon` (compose's POSTGRES_USER). Roles are cluster-wide and other
  // test files may create it at the same moment, hence the two ignored errors.
  await db.query(`DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shannon') THEN
    CREATE ROLE shannon NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$`);
  for (const file of shannonMigrationFiles()) {
    const text = readFileSync(join(SHANNON_MIGRATIONS_DIR, file), 'utf8');
    for (const statement of splitSqlStatements(text)) {
      try {
        await db.query(statement);
      } catch (err) {
        // Like psql with ON_ERROR_STOP=1: the first failure stops the run, naming the file.
        throw new Error(`Shannon migration ${file} failed: ${(err as Error).message}\n${statement}`);
      }
    }
  }
}

export interface ShannonStatementResult {
  id: string;
  kind: 'read' | 'write';
  ok: boolean;
  error?: string;
  /** SQLSTATE of the failure. */
  code?: string;
}

/**
 * Runs each statement in its own transaction, so a failing one is rolled back and leaves the
 * next one a clean connection; records PostgreSQL's message and SQLSTATE for failures.
 * node-postgres sends parameters as untyped text, as lib/pq does, so the server infers their
 * types the same way it does for Shannon.
 */
export async function runShannonStatements(
  client: pg.Client | pg.PoolClient,
  statements: readonly ShannonStatement[] = SHANNON_STATEMENTS,
): Promise<ShannonStatementResult[]> {
  const results: ShannonStatementResult[] = [];
  for (const statement of statements) {
    await client.query('BEGIN');
    try {
      await client.query(statement.sql, [...statement.params]);
      await client.query('COMMIT');
      results.push({ id: statement.id, kind: statement.kind, ok: true });
    } catch (err) {
      await client.query('ROLLBACK');
      const e = err as { message?: string; code?: string };
      const result: ShannonStatementResult = {
        id: statement.id,
        kind: statement.kind,
        ok: false,
        error: e.message ?? String(err),
      };
      if (e.code !== undefined) result.code = e.code;
      results.push(result);
    }
  }
  return results;
}
