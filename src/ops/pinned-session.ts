/**
 * One pinned connection for work that must stay on a single backend: hypothetical indexes (hypopg
 * is backend-local), prepared statements for generic plans, and transactions the toolkit always
 * rolls back. The connection is destroyed, not returned, when its state is unknown.
 */
import type pg from 'pg';
import type { Queryable, QueryResult } from '../postgres/queryable.js';
import { toDatabaseError } from '../postgres/sqlstate.js';

/** Where pinned connections come from (a `pg.Pool`; `Database.pool` satisfies it). */
export interface ConnectionSource {
  connect(): Promise<pg.PoolClient>;
}

/** Runs `fn` with a Queryable bound to one connection, released (or destroyed on failure) afterwards. */
export async function withPinnedSession<T>(
  source: ConnectionSource,
  operation: string,
  fn: (session: Queryable) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await source.connect();
  } catch (error) {
    throw toDatabaseError(error, operation);
  }
  let broken = false;
  const session: Queryable = {
    async query<Row>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>> {
      try {
        const r = await client.query(text, values as unknown[] | undefined);
        return { rows: r.rows as Row[], rowCount: r.rowCount ?? 0 };
      } catch (error) {
        throw toDatabaseError(error, operation);
      }
    },
  };
  try {
    return await fn(session);
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    if (broken) {
      // Whatever was left behind (open transaction, prepared statements, hypothetical indexes)
      // dies with the backend.
      client.release(true);
    } else {
      client.release();
    }
  }
}
