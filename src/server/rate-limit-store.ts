/**
 * The rate-limit store of the service: @fastify/rate-limit's own Redis store (same Lua, same keys,
 * so counters stay shared between processes) with every call made through the Redis guard, and the
 * plugin's in-process store as the fallback. When a Redis call fails, or the breaker is open, the
 * check is counted in-process, and keeps being counted there for the breaker's half-open delay, so
 * one request never waits for Redis twice and limits still hold while Redis is away.
 */
import { createRequire } from 'node:module';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { Metrics } from '../observability/metrics.js';
import type { RedisGuard } from '../resilience/redis-guard.js';

type Counted = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Counted) => void;
type RouteOptions = Parameters<FastifyRateLimitStore['child']>[0];

/** The part of the plugin's stores used here (its store modules ship without types). */
interface PluginStore {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
  read(key: string, cb: Callback, timeWindow: number, max: number): void;
  child(routeOptions: RouteOptions): PluginStore;
}

interface StoreParams {
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
}

const require = createRequire(import.meta.url);
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (
  continueExceeding: boolean | undefined,
  exponentialBackoff: boolean | undefined,
  redis: Redis,
) => PluginStore;
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (
  continueExceeding: boolean | undefined,
  exponentialBackoff: boolean | undefined,
) => PluginStore;

/** Shared by a store and its children: one failure moves every limiter to in-process counting. */
interface FallbackState {
  localUntil: number;
}

class RedisFallbackStore implements FastifyRateLimitStore {
  constructor(
    private readonly redis: PluginStore,
    private readonly local: PluginStore,
    private readonly guard: RedisGuard,
    private readonly state: FallbackState,
    private readonly metrics: Metrics | undefined,
  ) {}

  incr(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.count('incr', key, cb, timeWindow, max);
  }

  read(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.count('read', key, cb, timeWindow, max);
  }

  child(routeOptions: RouteOptions): FastifyRateLimitStore {
    return new RedisFallbackStore(
      this.redis.child(routeOptions),
      this.local.child(routeOptions),
      this.guard,
      this.state,
      this.metrics,
    );
  }

  private count(method: 'incr' | 'read', key: string, cb: Callback, timeWindow: number, max: number): void {
    const local = () => {
      this.metrics?.httpRateLimitFallbacks.inc();
      this.local[method](key, cb, timeWindow, max);
    };
    if (Date.now() < this.state.localUntil) {
      local();
      return;
    }
    this.guard
      .run(
        `rate_limit.${method}`,
        () =>
          new Promise<Counted>((resolve, reject) => {
            this.redis[method](
              key,
              (error, result) => (error === null && result !== undefined ? resolve(result) : reject(error)),
              timeWindow,
              max,
            );
          }),
      )
      .then(
        (result) => cb(null, result),
        () => {
          this.state.localUntil = Date.now() + this.guard.halfOpenAfterMs;
          local();
        },
      );
  }
}

/** The store constructor to register with @fastify/rate-limit (`store:`), over the given guard. */
export function redisFallbackStore(guard: RedisGuard, metrics?: Metrics): FastifyRateLimitStoreCtor {
  const state: FallbackState = { localUntil: 0 };
  return class extends RedisFallbackStore {
    constructor(params: StoreParams) {
      super(
        new RedisStore(params.continueExceeding, params.exponentialBackoff, guard.client),
        new LocalStore(params.continueExceeding, params.exponentialBackoff),
        guard,
        state,
        metrics,
      );
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
