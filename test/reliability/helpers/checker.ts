/**
 * The battery's client and judge. The client sends batches of event records, each with an
 * idempotency key and a created_at chosen by the client (the unique key is tenant, key and time, so
 * a retry must resend the same time — docs/write-path.md), and retries a batch with the very same
 * body on a network error, a timeout or a 5xx/429 answer, waiting what Retry-After says. A key is
 * acknowledged once a 2xx answer carried it. The judge counts each key's rows in PostgreSQL:
 * an acknowledged key without a row is lost, any key with two rows is duplicated.
 */
import type pg from 'pg';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One HTTP attempt as the client saw it. */
export interface Attempt {
  /** HTTP status, or 0 for a network error and -1 for the client's own timeout. */
  status: number;
  /** Client-side latency (ms). */
  ms: number;
  /** performance.now() when the request was sent. */
  startedAt: number;
  retryAfterMs: number | undefined;
  /** The error code of a JSON error body, when there was one. */
  code: string | undefined;
  method: string;
  path: string;
}

export interface CheckerOptions {
  /** Base URL of the service (read at each attempt: a restarted service keeps its port). */
  baseUrl: string;
  apiKey: string;
  /** Client-side timeout of one request (ms, default 30 000). */
  requestTimeoutMs?: number;
  /** Longest Retry-After honoured (ms, default 5 000), so a test stays bounded in time. */
  maxRetryAfterMs?: number;
  /** Characters of filler appended to each record's message (default 0), to make records big. */
  padChars?: number;
}

export interface SendOptions {
  /** Stop retrying once this returns true (the batch is then left unacknowledged). */
  giveUp?: () => boolean;
  /** Largest number of attempts (default unbounded until giveUp). */
  maxAttempts?: number;
}

export class Checker {
  readonly acknowledged = new Set<string>();
  /** Every attempt, in completion order. */
  readonly attempts: Attempt[] = [];
  private readonly options: Required<CheckerOptions>;
  private closed = false;

  constructor(options: CheckerOptions) {
    this.options = { requestTimeoutMs: 30_000, maxRetryAfterMs: 5_000, padChars: 0, ...options };
  }

  /**
   * Stops every retry loop of this client: `send` returns false at its next turn and load loops
   * end. Tests call it in `finally`, so a failed assertion cannot leave clients hammering a port.
   */
  close(): void {
    this.closed = true;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The records of one batch: fixed keys and a fixed time, so every retry sends the same body. */
  body(keys: readonly string[], createdAt: string): string {
    const pad = this.options.padChars > 0 ? ` ${'x'.repeat(this.options.padChars)}` : '';
    return JSON.stringify({
      records: keys.map((key) => ({
        workflow_id: `wf-${key.split('-')[0] ?? 'x'}`,
        type: 'RELIABILITY',
        message: `${key}${pad}`,
        idempotency_key: key,
        created_at: createdAt,
      })),
    });
  }

  /** One POST of an ingest body; never throws. */
  async post(body: string, path = '/v1/ingest/event_log'): Promise<Attempt> {
    return this.request('POST', path, body);
  }

  /** One request with the key; never throws. */
  async request(method: string, path: string, body?: string, timeoutMs?: number): Promise<Attempt> {
    const startedAt = performance.now();
    let attempt: Attempt;
    try {
      const res = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs ?? this.options.requestTimeoutMs),
      });
      const text = await res.text();
      const retryAfter = res.headers.get('retry-after');
      let code: string | undefined;
      if (res.status >= 400) {
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
      }
      attempt = {
        status: res.status,
        ms: performance.now() - startedAt,
        startedAt,
        retryAfterMs: retryAfter === null ? undefined : Number(retryAfter) * 1000,
        code,
        method,
        path,
      };
    } catch (error) {
      const timedOut = (error as { name?: string }).name === 'TimeoutError';
      attempt = {
        status: timedOut ? -1 : 0,
        ms: performance.now() - startedAt,
        startedAt,
        retryAfterMs: undefined,
        code: undefined,
        method,
        path,
      };
    }
    this.attempts.push(attempt);
    return attempt;
  }

  /**
   * Sends one batch until a 2xx answer (true) or until `giveUp` / `maxAttempts` (false). Retries
   * network errors, timeouts, 429 and 5xx with the same body; other 4xx answers are final (false).
   */
  async send(keys: readonly string[], createdAt: string, options: SendOptions = {}): Promise<boolean> {
    const body = this.body(keys, createdAt);
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.post(body);
      if (result.status >= 200 && result.status < 300) {
        for (const key of keys) this.acknowledged.add(key);
        return true;
      }
      const retryable = result.status <= 0 || result.status === 429 || result.status >= 500;
      if (!retryable || this.closed) return false;
      if (options.giveUp?.() === true) return false;
      if (options.maxAttempts !== undefined && attempt >= options.maxAttempts) return false;
      const wait =
        result.retryAfterMs === undefined
          ? 100 + Math.random() * 100
          : Math.min(result.retryAfterMs, this.options.maxRetryAfterMs);
      await sleep(wait);
    }
  }

  /** Attempts by status (0 = network error, -1 = client timeout). */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const a of this.attempts) counts[String(a.status)] = (counts[String(a.status)] ?? 0) + 1;
    return counts;
  }
}

export interface LoadOptions {
  checker: Checker;
  /** Key prefix of this load; keys are `<prefix>-c<client>-b<batch>-<i>`. */
  prefix: string;
  clients: number;
  batchRecords: number;
  /** New batches are started until this returns true. */
  stopped: () => boolean;
  /** A batch still retrying gives up once this returns true (default: 60 s after stopped()). */
  giveUp?: () => boolean;
  /** Pause between a client's batches (ms, default 0). */
  pauseMs?: number;
}

/** Closed-loop load: `clients` loops each sending batch after batch; resolves when all stopped. */
export async function runLoad(options: LoadOptions): Promise<{ batches: number }> {
  let batches = 0;
  let stoppedAt: number | undefined;
  const giveUp =
    options.giveUp ??
    (() => {
      if (!options.stopped()) return false;
      stoppedAt ??= Date.now();
      return Date.now() - stoppedAt > 60_000;
    });
  const createdAt = new Date().toISOString();
  const client = async (c: number) => {
    for (let b = 0; !options.stopped() && !options.checker.isClosed; b += 1) {
      const keys = Array.from(
        { length: options.batchRecords },
        (_, i) => `${options.prefix}-c${c}-b${b}-${i}`,
      );
      batches += 1;
      await options.checker.send(keys, createdAt, { giveUp });
      if (options.pauseMs !== undefined && options.pauseMs > 0) await sleep(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, c) => client(c)));
  return { batches };
}

export interface StoredCount {
  acknowledged: number;
  /** Acknowledged keys with no row. */
  lost: number;
  /** Keys (acknowledged or not) with more than one row. */
  duplicated: number;
  /** Rows of the prefix in PostgreSQL. */
  rows: number;
  lostExamples: string[];
  duplicatedExamples: string[];
}

/** Counts each key's rows of the tenant's event log under `prefix` and compares with `acknowledged`. */
export async function countStored(
  db: pg.Pool,
  tenantId: string,
  prefix: string,
  acknowledged: ReadonlySet<string>,
): Promise<StoredCount> {
  const { rows } = await db.query<{ k: string; n: string }>(
    `SELECT idempotency_key AS k, count(*) AS n FROM public.event_logs
      WHERE tenant_id = $1 AND idempotency_key LIKE $2 GROUP BY 1`,
    [tenantId, `${prefix}-%`],
  );
  const stored = new Map(rows.map((r) => [r.k, Number(r.n)]));
  const lost = [...acknowledged].filter((k) => k.startsWith(`${prefix}-`) && !stored.has(k));
  const duplicated = [...stored].filter(([, n]) => n > 1).map(([k]) => k);
  return {
    acknowledged: [...acknowledged].filter((k) => k.startsWith(`${prefix}-`)).length,
    lost: lost.length,
    duplicated: duplicated.length,
    rows: [...stored.values()].reduce((a, b) => a + b, 0),
    lostExamples: lost.slice(0, 5),
    duplicatedExamples: duplicated.slice(0, 5),
  };
}
