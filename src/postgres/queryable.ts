/**
 * The narrow database port. Code that touches PostgreSQL takes a `Queryable`; a pool-backed
 * executor and a transaction handle both satisfy it, so a store works the same inside and
 * outside a transaction.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  /** Operation name for metrics and tracing (bounded set, e.g. `tasks.get_by_workflow`). */
  operation?: string;
  /** Overrides the configured client-side timeout for this call. */
  timeoutMs?: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
}

/** A tenant id as stored in `tenant_id` columns (uuid text). */
export type TenantId = string;

/** What a transaction runs with: the tenant whose rows it may see, or none for admin work. */
export interface TransactionOptions {
  /** Sets `app.tenant_id` for the transaction so row-level security admits that tenant's rows. */
  tenantId?: TenantId;
  /** Marks the transaction read-only. */
  readOnly?: boolean;
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  operation?: string;
}

/**
 * Extra time a pinned session's client-side deadline allows beyond the server-side
 * statement_timeout it backs up (1000 ms), so the server's own cancellation, with its SQLSTATE,
 * normally arrives first and the client deadline only catches a server that never answers.
 */
export const SESSION_DEADLINE_GRACE_MS = 1_000;

/** How a pinned session runs: its name in metrics and errors, and its per-statement deadline. */
export interface SessionOptions {
  /** Operation name for metrics, the breaker's count and error messages (e.g. `ops.explain`). */
  operation: string;
  /**
   * Client-side deadline of each statement (and of acquiring the connection), in ms. Default: the
   * pool's statement_timeout plus SESSION_DEADLINE_GRACE_MS, or the query timeout when the pool
   * sets no statement_timeout. 0 means no client deadline (migrations, which must never be cut).
   */
  timeoutMs?: number;
  /** Counts against the read breaker instead of the write breaker. */
  readOnly?: boolean;
}

/** A stream a COPY pipes through: a transform (gzip, hashing) or the final sink. */
export type CopyStage = NodeJS.ReadWriteStream | NodeJS.WritableStream;

/**
 * One connection held for a callback: statements that must share a backend (session advisory
 * locks, hypothetical indexes, prepared statements, transactions spelled out with BEGIN) and
 * streaming COPY. A Queryable, so query modules take it like any other executor.
 */
export interface Session extends Queryable {
  /**
   * Streams `COPY … TO STDOUT` through `stages` (a pipeline whose last stage is the sink; none
   * discards the text); resolves with the rows copied.
   */
  copyOut(text: string, stages: readonly CopyStage[], options?: QueryOptions): Promise<number>;
  /** Streams `input` (through any `stages`) into `COPY … FROM STDIN`; resolves with the rows copied. */
  copyIn(
    text: string,
    input: NodeJS.ReadableStream,
    stages?: readonly NodeJS.ReadWriteStream[],
    options?: QueryOptions,
  ): Promise<number>;
}

/** Where pinned sessions come from; `Database` is one. */
export interface SessionSource {
  /**
   * Runs `fn` with a Session on one connection, released afterwards, or destroyed when `fn`
   * throws (whatever it left behind dies with the backend).
   */
  withSession<T>(fn: (session: Session) => Promise<T>, options: SessionOptions): Promise<T>;
}
