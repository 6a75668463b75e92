/**
 * Embedding cache: an in-process LRU with per-entry TTL in front of an optional Redis cache
 * (ioredis, through the Redis guard). Keys hash model + text; values are float32 bytes. Redis
 * errors, missed deadlines and an open breaker count as misses — the cache must never make
 * embedding fail, nor wait for Redis longer than the guard's deadline.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Metrics } from '../../observability/metrics.js';
import { guardRedis, type RedisGuard } from '../../resilience/redis-guard.js';

export const DEFAULT_LRU_ENTRIES = 10_000;
export const DEFAULT_LRU_TTL_MS = 30 * 60_000;
export const DEFAULT_REDIS_TTL_SECONDS = 7 * 24 * 3600;

export interface EmbeddingCacheOptions {
  maxEntries?: number;
  ttlMs?: number;
  /** Redis; a bare client is guarded with the default deadline and stays the caller's to close. */
  redis?: Redis | RedisGuard | undefined;
  redisTtlSeconds?: number;
  /** Prefix of Redis keys. */
  prefix?: string;
  metrics?: Metrics | undefined;
  now?: () => number;
}

/** The cache key of a text under a model (sha256, so keys are short and uniform). */
export function embeddingKey(model: string, text: string): string {
  return createHash('sha256').update(model).update('\u0000').update(text).digest('hex');
}

/** Two-level embedding cache. */
export class EmbeddingCache {
  private readonly lru = new Map<string, { vector: Float32Array; expires: number }>();
  private readonly options: EmbeddingCacheOptions;
  private readonly redis: RedisGuard | undefined;
  private hits = 0;
  private lookups = 0;

  constructor(options: EmbeddingCacheOptions = {}) {
    this.options = options;
    this.redis =
      options.redis === undefined
        ? undefined
        : guardRedis(options.redis, options.metrics === undefined ? {} : { metrics: options.metrics });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private count(layer: 'lru' | 'redis', hit: boolean): void {
    this.options.metrics?.memoryEmbeddingCache.inc({ layer, result: hit ? 'hit' : 'miss' });
  }

  /** Share of lookups answered by a cache so far. */
  get hitRatio(): number {
    return this.lookups === 0 ? 0 : this.hits / this.lookups;
  }

  private remember(key: string, vector: Float32Array): void {
    this.lru.delete(key);
    this.lru.set(key, { vector, expires: this.now() + (this.options.ttlMs ?? DEFAULT_LRU_TTL_MS) });
    const max = this.options.maxEntries ?? DEFAULT_LRU_ENTRIES;
    while (this.lru.size > max) this.lru.delete(this.lru.keys().next().value as string);
  }

  /** Looks keys up (LRU, then Redis); returns a vector or undefined per key. */
  async getMany(keys: readonly string[]): Promise<Array<Float32Array | undefined>> {
    const out: Array<Float32Array | undefined> = keys.map((key) => {
      const entry = this.lru.get(key);
      if (entry === undefined || entry.expires < this.now()) {
        if (entry !== undefined) this.lru.delete(key);
        this.count('lru', false);
        return undefined;
      }
      this.lru.delete(key);
      this.lru.set(key, entry);
      this.count('lru', true);
      return entry.vector;
    });
    const missing = keys.map((k, i) => [k, i] as const).filter(([, i]) => out[i] === undefined);
    const redis = this.redis;
    if (redis !== undefined && missing.length > 0) {
      try {
        const prefix = this.options.prefix ?? 'shannon:emb:';
        const values = await redis.run('embedding_cache.get', (client) =>
          client.mgetBuffer(...missing.map(([k]) => prefix + k)),
        );
        values.forEach((value, j) => {
          const [key, i] = missing[j] as readonly [string, number];
          this.count('redis', value !== null);
          if (value === null) return;
          const vector = new Float32Array(
            value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength),
          );
          out[i] = vector;
          this.remember(key, vector);
        });
      } catch {
        for (let j = 0; j < missing.length; j += 1) this.count('redis', false);
      }
    }
    this.lookups += keys.length;
    this.hits += out.filter((v) => v !== undefined).length;
    this.options.metrics?.memoryEmbeddingCacheHitRatio.set(this.hitRatio);
    return out;
  }

  /** Stores vectors in both levels. */
  async setMany(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    for (const [key, vector] of entries) this.remember(key, vector);
    const redis = this.redis;
    if (redis === undefined || entries.length === 0) return;
    try {
      const prefix = this.options.prefix ?? 'shannon:emb:';
      const ttl = this.options.redisTtlSeconds ?? DEFAULT_REDIS_TTL_SECONDS;
      await redis.run('embedding_cache.set', (client) => {
        const pipeline = client.pipeline();
        for (const [key, vector] of entries) {
          pipeline.set(
            prefix + key,
            Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
            'EX',
            ttl,
          );
        }
        return pipeline.exec();
      });
    } catch {
      // A failed cache write only costs a future miss.
    }
  }
}
