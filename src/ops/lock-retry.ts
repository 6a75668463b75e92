/**
 * DDL transactions under a short lock_timeout, retried when the lock is not granted: a waiting
 * ACCESS EXCLUSIVE request blocks every reader behind it (pg_repack#408), so waiting long is worse
 * than giving up and trying again.
 */
import { isDatabaseError } from '../errors/errors.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';

export interface LockRetryOptions {
  /** lock_timeout per attempt (default 2000 ms). */
  lockTimeoutMs?: number;
  /** Attempts before giving up (default 5). */
  attempts?: number;
  /** First back-off; doubles per attempt (default 200 ms). */
  backoffMs?: number;
}

/** True when PostgreSQL gave up waiting for a lock (55P03) or broke a deadlock (40P01). */
export function isLockFailure(error: unknown): boolean {
  return isDatabaseError(error) && (error.sqlstate === '55P03' || error.sqlstate === '40P01');
}

/** Runs `fn` in a transaction with a short lock_timeout, retrying lock failures with back-off. */
export async function withLockRetry<T>(
  source: SessionSource,
  operation: string,
  fn: (tx: Queryable) => Promise<T>,
  options: LockRetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  let backoff = options.backoffMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await source.withSession(
        async (session) => {
          await session.query('BEGIN');
          try {
            await session.query(`SELECT set_config('lock_timeout', $1, true)`, [
              String(options.lockTimeoutMs ?? 2000),
            ]);
            const value = await fn(session);
            await session.query('COMMIT');
            return value;
          } catch (error) {
            await session.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
        },
        { operation },
      );
    } catch (error) {
      if (!isLockFailure(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff *= 2;
    }
  }
}
