/**
 * Builds the configured embedder: the HTTP embedder (with an LRU cache, plus Redis when REDIS_URL
 * is set) when EMBEDDING_URL is set, else the local lexical-hash embedder (NOT semantic). Redis is
 * the caller's guarded client when given (the data layer's); otherwise one is built from
 * REDIS_URL, connects on the first lookup and is closed with the embedder.
 */
import type { Config } from '../../config/config.js';
import type { Metrics } from '../../observability/metrics.js';
import { createRedisGuard, type RedisGuard } from '../../resilience/redis-guard.js';
import type { Embedder } from './embedder.js';
import { EmbeddingCache } from './embedding-cache.js';
import { HttpEmbedder } from './http-embedder.js';
import { LexicalHashEmbedder } from './lexical-hash-embedder.js';

export type EmbedderConfig = Pick<Config, 'vectorDimension' | 'redisUrl'> &
  Partial<
    Pick<
      Config,
      'embeddingUrl' | 'embeddingApi' | 'embeddingModel' | 'embeddingApiKey' | 'redisCommandTimeoutMs'
    >
  >;

/** The embedder for a configuration; `close()` also closes a Redis client it built itself. */
export function createEmbedder(config: EmbedderConfig, metrics?: Metrics, shared?: RedisGuard): Embedder {
  if (config.embeddingUrl === undefined) return new LexicalHashEmbedder(config.vectorDimension);
  const redis =
    shared ??
    (config.redisUrl === undefined
      ? undefined
      : createRedisGuard({
          url: config.redisUrl,
          ...(config.redisCommandTimeoutMs === undefined
            ? {}
            : { commandTimeoutMs: config.redisCommandTimeoutMs }),
          metrics,
        }));
  const http = new HttpEmbedder({
    url: config.embeddingUrl,
    api: config.embeddingApi ?? 'openai',
    model: config.embeddingModel ?? 'text-embedding-3-small',
    dimension: config.vectorDimension,
    apiKey: config.embeddingApiKey,
    cache: new EmbeddingCache({ redis, metrics }),
    metrics,
  });
  return {
    model: http.model,
    embed: (texts) => http.embed(texts),
    async close() {
      // A shared client is closed by its owner.
      if (shared === undefined) await redis?.close();
    },
  };
}
