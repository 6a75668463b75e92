/**
 * Statements on one checked-out client under a client-side deadline: a frozen server never fires
 * its own statement_timeout, so every call races a timer and a client that missed its deadline is
 * marked broken (the caller destroys it instead of returning it to the pool).
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFromStdin, to as copyToStdout } from 'pg-copy-streams';
import { DatabaseError, ShannonError } from '../errors/errors.js';
import type { CopyStage, QueryOptions, QueryResult, Session } from './queryable.js';
import { toDatabaseError } from './sqlstate.js';

export function timeoutError(operation: string, timeoutMs: number): DatabaseError {
  return new DatabaseError('DB_TIMEOUT', `${operation}: no answer from PostgreSQL within ${timeoutMs} ms`, {
    details: { timeoutMs },
  });
}

/**
 * Runs one statement with a deadline (epoch ms; `Infinity` for none); on timeout the client is
 * unusable. Errors are wrapped as DatabaseError naming `operation`.
 */
export async function runWithDeadline<T>(
  start: () => Promise<T>,
  deadline: number,
  operation: string,
): Promise<{ value: T; timedOut: false } | { timedOut: true }> {
  if (deadline === Number.POSITIVE_INFINITY) {
    try {
      return { value: await start(), timedOut: false };
    } catch (error) {
      throw toDatabaseError(error, operation);
    }
  }
  const remaining = deadline - Date.now();
  if (remaining <= 0) return { timedOut: true };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ timedOut: true }>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), remaining);
  });
  const run = start().then((value) => ({ value, timedOut: false as const }));
  // If the deadline wins, the statement's promise may still reject later (socket destroyed); swallow it.
  run.catch(() => undefined);
  try {
    return await Promise.race([run, timeout]);
  } catch (error) {
    throw toDatabaseError(error, operation);
  } finally {
    clearTimeout(timer);
  }
}

export function queryOn<Row>(client: pg.PoolClient, text: string, values: readonly unknown[] | undefined) {
  return () =>
    client
      .query(text, values as unknown[] | undefined)
      .then((r: pg.QueryResult): QueryResult<Row> => ({ rows: r.rows as Row[], rowCount: r.rowCount ?? 0 }));
}

/** Streams `data` into a `COPY … FROM STDIN`; resolves with the rows copied once the server is ready again. */
export function copyOn(client: pg.PoolClient, text: string, data: string | Buffer) {
  return () =>
    new Promise<number>((resolve, reject) => {
      const stream = client.query(copyFromStdin(text));
      stream.on('error', reject);
      stream.on('finish', () => resolve(stream.rowCount));
      stream.end(data);
    });
}

/** A `COPY … TO STDOUT` piped through `stages` (a discarding sink when there are none). */
function copyOutOn(client: pg.PoolClient, text: string, stages: readonly CopyStage[]) {
  return async () => {
    const stream = client.query(copyToStdout(text));
    const sinks = stages.length > 0 ? stages : [new Writable({ write: (_c, _e, done) => done() })];
    await pipeline([stream, ...sinks] as NodeJS.ReadWriteStream[]);
    return stream.rowCount;
  };
}

/** `input`, through `stages`, into a `COPY … FROM STDIN`. */
function copyInOn(
  client: pg.PoolClient,
  text: string,
  input: NodeJS.ReadableStream,
  stages: readonly NodeJS.ReadWriteStream[],
) {
  return async () => {
    const stream = client.query(copyFromStdin(text));
    await pipeline([input, ...stages, stream] as NodeJS.ReadWriteStream[]);
    return stream.rowCount;
  };
}

/**
 * A Session on one checked-out client: each statement gets its own deadline of `timeoutMs`
 * (overridable per call; 0 for none), a missed deadline marks the client broken, and the handle
 * refuses use once `end()` was called. Releasing the client is the owner's job.
 */
export class ClientSession implements Session {
  broken = false;
  private ended = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly operation: string,
    private readonly timeoutMs: number,
    private readonly handle: 'session' | 'transaction' = 'session',
  ) {}

  /** Refuses further statements (a handle kept past its callback must not reach a reused client). */
  end(): void {
    this.ended = true;
  }

  private async run<T>(start: () => Promise<T>, options: QueryOptions): Promise<T> {
    const operation = options.operation ?? this.operation;
    if (this.ended)
      throw new ShannonError('INTERNAL', `${operation}: ${this.handle} handle used after it ended`);
    const ms = options.timeoutMs ?? this.timeoutMs;
    const deadline = ms === 0 ? Number.POSITIVE_INFINITY : Date.now() + ms;
    const outcome = await runWithDeadline(start, deadline, operation);
    if (outcome.timedOut) {
      this.broken = true;
      throw timeoutError(operation, ms);
    }
    return outcome.value;
  }

  query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
    options: QueryOptions = {},
  ): Promise<QueryResult<Row>> {
    return this.run(queryOn<Row>(this.client, text, values), options);
  }

  copyOut(text: string, stages: readonly CopyStage[], options: QueryOptions = {}): Promise<number> {
    return this.run(copyOutOn(this.client, text, stages), options);
  }

  copyIn(
    text: string,
    input: NodeJS.ReadableStream,
    stages: readonly NodeJS.ReadWriteStream[] = [],
    options: QueryOptions = {},
  ): Promise<number> {
    return this.run(copyInOn(this.client, text, input, stages), options);
  }
}
