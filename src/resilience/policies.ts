/**
 * Breaker and retry policies for every dependency, built on cockatiel. A breaker counts only
 * infrastructure failures (the caller supplies the classifier: SQLSTATE for PostgreSQL, HTTP status
 * for Qdrant), admits one probe when half-open (cockatiel's behaviour), and reports its state and
 * transitions as metrics.
 */
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type RetryPolicy,
  retry,
} from 'cockatiel';
import { ShannonError } from '../errors/errors.js';
import { BREAKER_STATE_VALUE, type Metrics } from '../observability/metrics.js';

export const DEFAULT_BREAKER_FAILURE_THRESHOLD = 5;
export const DEFAULT_BREAKER_HALF_OPEN_AFTER_MS = 10_000;
export const DEFAULT_RETRY_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_INITIAL_DELAY_MS = 50;
export const DEFAULT_RETRY_MAX_DELAY_MS = 2_000;

export type BreakerStateName = keyof typeof BREAKER_STATE_VALUE;

export interface BreakerOptions {
  /** Name used in metrics and errors (`postgres_write`, `postgres_read`, `qdrant`, `redis`, `embedder`). */
  name: string;
  /** True for failures that say the dependency is unhealthy; others pass through uncounted. */
  isFailure: (error: unknown) => boolean;
  failureThreshold?: number;
  halfOpenAfterMs?: number;
  metrics?: Metrics;
}

/** A named breaker with its state exposed for metrics, readiness and the dashboard. */
export interface Breaker {
  readonly name: string;
  readonly state: BreakerStateName;
  /** Runs `fn` through the breaker. @throws ShannonError BREAKER_OPEN when open. */
  execute<T>(fn: () => Promise<T>): Promise<T>;
  /** The underlying cockatiel policy, for composing with other policies. */
  readonly policy: CircuitBreakerPolicy;
  /**
   * Closes the breaker at once: the dependency it counted failures of was replaced (a pool moved
   * to another host on failover), so those failures say nothing about the new one.
   */
  reset(): void;
}

function stateName(state: CircuitState): BreakerStateName {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half-open';
    case CircuitState.Open:
      return 'open';
    case CircuitState.Isolated:
      return 'isolated';
    default:
      throw new Error(`unknown breaker state ${String(state)}`);
  }
}

/** Creates a consecutive-failure breaker. Defaults: 5 failures, half-open after 10 s. */
export function createBreaker(options: BreakerOptions): Breaker {
  const policy = circuitBreaker(handleWhen(options.isFailure), {
    halfOpenAfter: options.halfOpenAfterMs ?? DEFAULT_BREAKER_HALF_OPEN_AFTER_MS,
    breaker: new ConsecutiveBreaker(options.failureThreshold ?? DEFAULT_BREAKER_FAILURE_THRESHOLD),
  });
  const { metrics, name } = options;
  metrics?.breakerState.set({ breaker: name }, BREAKER_STATE_VALUE.closed);
  policy.onStateChange((state) => {
    const to = stateName(state);
    metrics?.breakerState.set({ breaker: name }, BREAKER_STATE_VALUE[to]);
    metrics?.breakerTransitions.inc({ breaker: name, to });
  });
  return {
    name,
    policy,
    reset() {
      // cockatiel has no reset; ending the only isolation closes the circuit (and reports it).
      policy.isolate().dispose();
    },
    get state() {
      return stateName(policy.state);
    },
    async execute<T>(fn: () => Promise<T>): Promise<T> {
      try {
        // While half-open, cockatiel makes every other call wait for the probe's outcome — the
        // whole deadline of a dependency that does not answer. The probe is the only call let
        // through; the others are refused at once, as while open.
        if (policy.state === CircuitState.HalfOpen) throw new BrokenCircuitError();
        return await policy.execute(fn);
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          metrics?.breakerRejections.inc({ breaker: name });
          throw new ShannonError(
            'BREAKER_OPEN',
            `the ${name} circuit breaker is open; the dependency is failing`,
            {
              cause: error,
              details: { breaker: name },
            },
          );
        }
        throw error;
      }
    },
  };
}

export interface RetryOptions {
  /** Dependency name for the retry metric. */
  dependency: string;
  /** True for failures worth retrying (transient). */
  isRetryable: (error: unknown) => boolean;
  /** Failure class label for metrics. */
  classify?: (error: unknown) => string;
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  metrics?: Metrics;
}

/** Retries transient failures with exponential backoff and decorrelated jitter (cockatiel's default). */
export function createRetry(options: RetryOptions): RetryPolicy {
  const policy = retry(handleWhen(options.isRetryable), {
    maxAttempts: (options.maxAttempts ?? DEFAULT_RETRY_MAX_ATTEMPTS) - 1,
    backoff: new ExponentialBackoff({
      initialDelay: options.initialDelayMs ?? DEFAULT_RETRY_INITIAL_DELAY_MS,
      maxDelay: options.maxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS,
    }),
  });
  policy.onRetry((reason) => {
    const error = 'error' in reason ? reason.error : undefined;
    options.metrics?.retries.inc({
      dependency: options.dependency,
      class: options.classify?.(error) ?? 'transient',
    });
  });
  return policy;
}
