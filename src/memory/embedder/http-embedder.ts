/**
 * HTTP embedder for OpenAI-compatible `POST {url}/embeddings` ({input, model} → {data:[{embedding,
 * index}]}) and Shannon's llm-service `POST {url}/embeddings/` ({texts, model} → {embeddings}).
 * Cache first (LRU, then Redis), misses in batches, a timeout and a breaker on every call, latency
 * metrics; every returned vector is validated (finite, float32, expected dimension).
 */

import { ShannonError } from '../../errors/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import { withDeadlineSignal } from '../../resilience/deadline-signal.js';
import { type Breaker, createBreaker } from '../../resilience/policies.js';
import { validateVector } from '../vector.js';
import type { Embedder } from './embedder.js';
import { EmbeddingCache, embeddingKey } from './embedding-cache.js';

export const DEFAULT_EMBEDDER_BATCH_SIZE = 64;
export const DEFAULT_EMBEDDER_TIMEOUT_MS = 5_000;

export interface HttpEmbedderOptions {
  /** Base URL, e.g. `https://api.openai.com/v1` or `http://llm-service:8000`. */
  url: string;
  /** Request shape: OpenAI-compatible or Shannon's llm-service. */
  api: 'openai' | 'shannon';
  model: string;
  /** Expected vector dimension (validated). */
  dimension: number;
  apiKey?: string | undefined;
  batchSize?: number;
  timeoutMs?: number;
  cache?: EmbeddingCache;
  metrics?: Metrics | undefined;
  fetch?: typeof fetch;
}

function isInfrastructure(error: unknown): boolean {
  return error instanceof ShannonError && error.details?.['infrastructure'] === true;
}

/** Embedder over HTTP with caching and batching. */
export class HttpEmbedder implements Embedder {
  readonly model: string;
  readonly breaker: Breaker;
  private readonly options: HttpEmbedderOptions;
  private readonly cache: EmbeddingCache;

  constructor(options: HttpEmbedderOptions) {
    this.options = options;
    this.model = options.model;
    this.cache = options.cache ?? new EmbeddingCache({ metrics: options.metrics });
    this.breaker = createBreaker({ name: 'embedder', isFailure: isInfrastructure, metrics: options.metrics });
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const keys = texts.map((t) => embeddingKey(this.model, t));
    const cached = await this.cache.getMany(keys);
    const missing = [...new Set(texts.filter((_, i) => cached[i] === undefined))];
    const fresh = new Map<string, Float32Array>();
    const batchSize = this.options.batchSize ?? DEFAULT_EMBEDDER_BATCH_SIZE;
    for (let i = 0; i < missing.length; i += batchSize) {
      const batch = missing.slice(i, i + batchSize);
      const vectors = await this.breaker.execute(() => this.request(batch));
      for (const [j, text] of batch.entries()) fresh.set(text, vectors[j] as Float32Array);
      await this.cache.setMany(
        batch.map((text, j) => [embeddingKey(this.model, text), vectors[j] as Float32Array] as const),
      );
    }
    return texts.map((t, i) => cached[i] ?? (fresh.get(t) as Float32Array));
  }

  private async request(texts: string[]): Promise<Float32Array[]> {
    const { api, url, model, apiKey } = this.options;
    const endpoint = `${url.replace(/\/+$/, '')}${api === 'openai' ? '/embeddings' : '/embeddings/'}`;
    const body = api === 'openai' ? { input: texts, model } : { texts, model };
    const started = performance.now();
    let outcome = 'error';
    try {
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_EMBEDDER_TIMEOUT_MS;
      // The deadline covers the body too; a body that is not JSON is the service's fault.
      const json = await withDeadlineSignal(timeoutMs, async (signal) => {
        const response = await (this.options.fetch ?? fetch)(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
          },
          body: JSON.stringify(body),
          signal,
        }).catch((error: unknown) => {
          throw new ShannonError('VECTOR_BACKEND_FAILED', `embedding service unreachable at ${endpoint}`, {
            cause: error,
            details: { infrastructure: true },
          });
        });
        if (!response.ok) {
          throw new ShannonError('VECTOR_BACKEND_FAILED', `embedding service answered ${response.status}`, {
            details: {
              status: response.status,
              infrastructure: response.status >= 500 || response.status === 429,
            },
          });
        }
        try {
          return (await response.json()) as {
            data?: Array<{ embedding: unknown; index?: number }>;
            embeddings?: unknown[];
          };
        } catch (error) {
          throw new ShannonError('VECTOR_BACKEND_FAILED', `embedding service sent an unreadable body`, {
            cause: error,
            details: { infrastructure: true },
          });
        }
      });
      const raw =
        api === 'openai'
          ? [...(json.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding)
          : (json.embeddings ?? []);
      if (raw.length !== texts.length) {
        throw new ShannonError(
          'VECTOR_BACKEND_FAILED',
          `embedding service returned ${raw.length} vectors for ${texts.length} texts`,
        );
      }
      const vectors = raw.map((v, i) => validateVector(v, this.options.dimension, `embeddings[${i}]`));
      outcome = 'ok';
      return vectors;
    } finally {
      this.options.metrics?.memoryEmbeddingDuration.observe(
        { outcome },
        (performance.now() - started) / 1000,
      );
    }
  }

  async close(): Promise<void> {}
}
