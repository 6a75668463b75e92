import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createEmbedder } from '../../src/memory/embedder/create-embedder.js';
import { EmbeddingCache } from '../../src/memory/embedder/embedding-cache.js';
import { HttpEmbedder } from '../../src/memory/embedder/http-embedder.js';
import { LexicalHashEmbedder } from '../../src/memory/embedder/lexical-hash-embedder.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createRedisGuard } from '../../src/resilience/redis-guard.js';

const DIM = 16;
const local = new LexicalHashEmbedder(DIM);

/** A loopback embedding service speaking both shapes; records every request body. */
function startService(): Promise<{
  server: Server;
  url: string;
  bodies: Array<{ path: string; body: Record<string, unknown> }>;
  failNext: { n: number };
}> {
  const bodies: Array<{ path: string; body: Record<string, unknown> }> = [];
  const failNext = { n: 0 };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
    bodies.push({ path: req.url ?? '', body });
    if (failNext.n > 0) {
      failNext.n -= 1;
      res.writeHead(503).end('{}');
      return;
    }
    if (req.url === '/v1/embeddings') {
      const input = body['input'] as string[];
      // Out of order on purpose: clients must sort by index.
      const data = input.map((t, index) => ({ index, embedding: Array.from(local.embedOne(t)) })).reverse();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ data, model: body['model'] }));
    } else if (req.url === '/embeddings/') {
      const texts = body['texts'] as string[];
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          embeddings: texts.map((t) => Array.from(local.embedOne(t))),
          dimensions: DIM,
          model_used: body['model'],
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        bodies,
        failNext,
      }),
    ),
  );
}

describe('HTTP embedder', () => {
  let service: Awaited<ReturnType<typeof startService>>;
  let redis: Redis;

  before(async () => {
    service = await startService();
    redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });

  after(async () => {
    await redis.quit();
    await new Promise((r) => service.server.close(r));
  });

  it('speaks the OpenAI shape, batches misses and serves repeats from the LRU', async () => {
    const metrics = createMetrics();
    const e = new HttpEmbedder({
      url: `${service.url}/v1`,
      api: 'openai',
      model: 'm-openai',
      dimension: DIM,
      batchSize: 2,
      metrics,
    });
    const before = service.bodies.length;
    const texts = ['alpha beta', 'gamma', 'delta', 'alpha beta', 'epsilon'];
    const vectors = await e.embed(texts);
    assert.deepEqual(
      vectors.map((v) => Array.from(v)),
      texts.map((t) => Array.from(local.embedOne(t))),
    );
    const calls = service.bodies.slice(before);
    assert.deepEqual(
      calls.map((c) => (c.body['input'] as string[]).length),
      [2, 2],
      '4 distinct texts in batches of 2',
    );
    await e.embed(['gamma', 'delta']);
    assert.equal(service.bodies.length, before + 2, 'second call served by the cache');
    const hits = await metrics.registry.getSingleMetricAsString('shannon_memory_embedding_cache_total');
    assert.match(hits, /layer="lru",result="hit"} 2/);
    assert.match(
      await metrics.registry.getSingleMetricAsString('shannon_memory_embedding_duration_seconds'),
      /outcome="ok"/,
    );
  });

  it("speaks Shannon's llm-service shape and shares vectors across processes through Redis", async () => {
    const prefix = `test:emb:${Date.now()}:`;
    const first = new HttpEmbedder({
      url: service.url,
      api: 'shannon',
      model: 'm-shannon',
      dimension: DIM,
      cache: new EmbeddingCache({ redis, prefix }),
    });
    const before = service.bodies.length;
    await first.embed(['one', 'two']);
    assert.deepEqual(service.bodies.at(-1)?.body, { texts: ['one', 'two'], model: 'm-shannon' });
    // A second process (fresh LRU) finds them in Redis.
    const second = new HttpEmbedder({
      url: service.url,
      api: 'shannon',
      model: 'm-shannon',
      dimension: DIM,
      cache: new EmbeddingCache({ redis, prefix }),
    });
    const vectors = await second.embed(['one', 'two']);
    assert.equal(service.bodies.length, before + 1);
    assert.deepEqual(Array.from(vectors[1] as Float32Array), Array.from(local.embedOne('two')));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  it('is built from configuration: HTTP + Redis when EMBEDDING_URL is set, lexical hashing otherwise', async () => {
    const guard = createRedisGuard({ url: 'redis://127.0.0.1:6379' });
    const configured = createEmbedder(
      {
        vectorDimension: DIM,
        embeddingUrl: service.url,
        embeddingApi: 'shannon',
        embeddingModel: `cfg-${Date.now()}`,
      },
      undefined,
      guard,
    );
    const before = service.bodies.length;
    const [v] = await configured.embed(['configured text']);
    assert.deepEqual(Array.from(v as Float32Array), Array.from(local.embedOne('configured text')));
    assert.equal(service.bodies.length, before + 1);
    await configured.close();
    // The client is the caller's: the embedder's close() leaves it usable.
    assert.equal(await guard.client.ping(), 'PONG');
    await guard.close();
    const fallback = createEmbedder({ vectorDimension: DIM });
    assert.equal(fallback.model, 'lexical-hash-v1');
    assert.equal((await fallback.embed(['x']))[0]?.length, DIM);
  });

  it('rejects a wrong dimension and reports service failures as typed errors', async () => {
    const wrong = new HttpEmbedder({
      url: service.url,
      api: 'shannon',
      model: 'm-wrong',
      dimension: DIM + 1,
    });
    await assert.rejects(wrong.embed(['x']), { code: 'VALIDATION_FAILED', field: 'embeddings[0]' });
    service.failNext.n = 1;
    const e = new HttpEmbedder({ url: service.url, api: 'shannon', model: 'm-fail', dimension: DIM });
    await assert.rejects(e.embed(['y']), { code: 'VECTOR_BACKEND_FAILED' });
  });
});
