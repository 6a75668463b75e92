/**
 * Builds the configured embedder: the HTTP embedder (with an LRU cache, plus Redis when REDIS_URL
 * is set) when EMBEDDING_URL is set, else the local lexical-hash embedder (NOT semantic). The Redis
 * client connects lazily on the first lookup and is closed with the embedder.
 */
import { Redis } from 'ioredis';
import type { Config } from '../../config/config.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Embedder } from './embedder.js';
import { EmbeddingCache } from './embedding-cache.js';
import { HttpEmbedder } from './http-embedder.js';
import { LexicalHashEmbedder } from './lexical-hash-embedder.js';

export type EmbedderConfig = Pick<Config, 'vectorDimension' | 'redisUrl'> &
  Partial<Pick<Config, 'embeddingUrl' | 'embeddingApi' | 'embeddingModel' | 'embeddingApiKey'>>;

/** The embedder for a configuration; `close()` also closes its Redis client. */
export function createEmbedder(config: EmbedderConfig, metrics?: Metrics): Embedder {
  if (config.embeddingUrl === undefined) return new LexicalHashEmbedder(config.vectorDimension);
  const redis =
    config.redisUrl === undefined
      ? undefined
      : new Redis(config.redisUrl, {
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: true,
          commandTimeout: 500,
        });
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
      redis?.disconnect();
    },
  };
}
