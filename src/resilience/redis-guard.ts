/**
 * The one way the data layer talks to Redis: every call runs under a deadline and through the
 * `redis` circuit breaker, so a Redis that accepts connections and never answers costs a caller at
 * most the deadline, and nothing once the breaker is open. Callers decide how to degrade (the
 * session cache answers 503, the embedding cache and the rate limits carry on without Redis).
 */
import { Redis, ReplyError } from 'ioredis';
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from '../config/config.js';
import { isShannonError, ShannonError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { type Breaker, createBreaker, DEFAULT_BREAKER_HALF_OPEN_AFTER_MS } from './policies.js';

/** How long a client connection attempt may take before ioredis gives up and retries. */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 2_000;

export interface RedisGuardOptions {
  client: Redis;
  /** Deadline of one guarded call (ms); default DEFAULT_REDIS_COMMAND_TIMEOUT_MS (500). */
  commandTimeoutMs?: number;
  metrics?: Metrics | undefined;
  /** Consecutive failures that open the breaker; default 5. */
  failureThreshold?: number;
  /** Time the breaker stays open before one probe (ms); default 10 000. */
  halfOpenAfterMs?: number;
  /** True when `close()` should close the client (the guard built it). Default false. */
  ownsClient?: boolean;
}

/** Raised inside the breaker when a call outlives its deadline. */
class RedisDeadlineError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
    this.name = 'RedisDeadlineError';
  }
}

/**
 * A reply error means Redis is up and refused one command (wrong type, script error): the
 * dependency is healthy, so it must not open the breaker. Everything else (deadline, closed or
 * refused connection, retries exhausted) says Redis is unhealthy.
 */
function isRedisUnhealthy(error: unknown): boolean {
  return !(error instanceof ReplyError);
}

/** A Redis client plus the deadline and breaker every call goes through. */
export class RedisGuard {
  readonly client: Redis;
  readonly breaker: Breaker;
  readonly commandTimeoutMs: number;
  readonly halfOpenAfterMs: number;
  private readonly metrics: Metrics | undefined;
  private readonly ownsClient: boolean;
  private closing: Promise<void> | undefined;

  constructor(options: RedisGuardOptions) {
    this.client = options.client;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
    this.halfOpenAfterMs = options.halfOpenAfterMs ?? DEFAULT_BREAKER_HALF_OPEN_AFTER_MS;
    this.metrics = options.metrics;
    this.ownsClient = options.ownsClient ?? false;
    this.breaker = createBreaker({
      name: 'redis',
      isFailure: isRedisUnhealthy,
      halfOpenAfterMs: this.halfOpenAfterMs,
      ...(options.failureThreshold === undefined ? {} : { failureThreshold: options.failureThreshold }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    });
  }

  /**
   * Runs `fn` against the client under the deadline and the breaker. `operation` labels the
   * latency metric (a name from code, never from input).
   * @throws ShannonError BREAKER_OPEN while the breaker is open (fn is not called);
   *   CACHE_UNAVAILABLE when Redis failed or missed the deadline (the cause is attached).
   */
  async run<T>(operation: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    const started = performance.now();
    const observe = (outcome: 'ok' | 'error' | 'timeout' | 'rejected') =>
      this.metrics?.redisCommandDuration.observe(
        { operation, outcome },
        (performance.now() - started) / 1000,
      );
    try {
      const result = await this.breaker.execute(() => this.withDeadline(fn(this.client)));
      observe('ok');
      return result;
    } catch (error) {
      if (isShannonError(error) && error.code === 'BREAKER_OPEN') {
        observe('rejected');
        throw error;
      }
      // ioredis's own commandTimeout fires at the same moment as ours and says so only in its
      // message text, so a call that used up the deadline is classed by its duration.
      const timedOut =
        error instanceof RedisDeadlineError || performance.now() - started >= this.commandTimeoutMs;
      observe(timedOut ? 'timeout' : 'error');
      throw new ShannonError('CACHE_UNAVAILABLE', `Redis call ${operation} failed`, {
        cause: error,
        details: { dependency: 'redis', operation, reason: timedOut ? 'timeout' : 'error' },
      });
    }
  }

  private withDeadline<T>(call: Promise<T>): Promise<T> {
    // The late answer (or ioredis's own timeout) of a call we stopped waiting for is dropped.
    call.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new RedisDeadlineError(this.commandTimeoutMs)), this.commandTimeoutMs);
    });
    return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
  }

  /**
   * Closes the client when the guard owns it: QUIT, but a frozen Redis never answers QUIT, so after
   * the deadline the connection is dropped instead. Idempotent; never throws.
   */
  close(): Promise<void> {
    if (!this.ownsClient) return Promise.resolve();
    this.closing ??= (async () => {
      const client = this.client;
      // A lazy client that never connected would connect just to say QUIT.
      if (client.status !== 'wait' && client.status !== 'end') {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          client.quit().catch(() => undefined),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, this.commandTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
      }
      if (client.status !== 'end') client.disconnect();
    })();
    return this.closing;
  }
}

export interface CreateRedisGuardOptions extends Omit<RedisGuardOptions, 'client' | 'ownsClient'> {
  /** Redis URL (`redis://` or `rediss://`). */
  url: string;
}

/**
 * Builds the Redis client of a process and its guard. The client connects on its first call;
 * commands carry ioredis's own `commandTimeout`, which also bounds commands waiting in the offline
 * queue while (re)connecting, and are retried once after a reconnect.
 */
export function createRedisGuard(options: CreateRedisGuardOptions): RedisGuard {
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: commandTimeoutMs,
  });
  // Failures surface through the calls; the client's error events would otherwise crash the process.
  client.on('error', () => undefined);
  const { url: _url, ...rest } = options;
  return new RedisGuard({ ...rest, client, commandTimeoutMs, ownsClient: true });
}

/** A guard for `redis`: itself when it is one, else a new guard over a caller-owned client. */
export function guardRedis(
  redis: Redis | RedisGuard,
  options: Omit<RedisGuardOptions, 'client' | 'ownsClient'> = {},
): RedisGuard {
  if (redis instanceof RedisGuard) return redis;
  // As for our own clients: failures surface through the calls, not as unhandled error events.
  redis.on('error', () => undefined);
  return new RedisGuard({ ...options, client: redis });
}
