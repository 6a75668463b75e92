/**
 * Builds the configured embedder: the HTTP embedder (with an LRU cache, plus Redis when the caller
 * hands in its guarded client: the data layer's, built from REDIS_URL) when EMBEDDING_URL is set,
 * else the local lexical-hash embedder (NOT semantic). It never builds a Redis client of its own.
 */
import type { Config } from '../../config/config.js';
import type { Metrics } from '../../observability/metrics.js';
import type { RedisGuard } from '../../resilience/redis-guard.js';
import type { Embedder } from './embedder.js';
import { EmbeddingCache } from './embedding-cache.js';
import { HttpEmbedder } from './http-embedder.js';
import { LexicalHashEmbedder } from './lexical-hash-embedder.js';

export type EmbedderConfig = Pick<Config, 'vectorDimension'> &
  Partial<Pick<Config, 'embeddingUrl' | 'embeddingApi' | 'embeddingModel' | 'embeddingApiKey'>>;

/**
 * The embedder for a configuration. With `redis` (the composition root's client, which its owner
 * closes) the HTTP embedder caches vectors there; without it, in process.
 */
export function createEmbedder(config: EmbedderConfig, metrics?: Metrics, redis?: RedisGuard): Embedder {
  if (config.embeddingUrl === undefined) return new LexicalHashEmbedder(config.vectorDimension);
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
      // The Redis client, if any, is closed by its owner.
    },
  };
}
