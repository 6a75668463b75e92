import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ServerHarness, startServerHarness, TEST_DIMENSION } from './server-harness.js';

/**
 * A loopback OpenAI-compatible embedding service. Each text maps to a one-hot vector chosen by the
 * service (not by lexical hashing), so a hit proves which embedder produced the query vector.
 */
async function startEmbeddingService(): Promise<{ server: Server; url: string; texts: string[] }> {
  const texts: string[] = [];
  const axisOf = (text: string) => (text.includes('alpha') ? 1 : text.includes('omega') ? 6 : 3);
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { input: string[]; model: string };
    texts.push(...body.input);
    const data = body.input.map((text, index) => ({
      index,
      embedding: Array.from({ length: TEST_DIMENSION }, (_, j) => (j === axisOf(text) ? 1 : 0)),
    }));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ data, model: body.model }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, texts };
}

describe('memory routes embed `text` with the configured embedder (EMBEDDING_URL)', () => {
  let service: Awaited<ReturnType<typeof startEmbeddingService>>;
  let h: ServerHarness;
  let auth: { authorization: string };

  before(async () => {
    service = await startEmbeddingService();
    h = await startServerHarness({
      env: { EMBEDDING_URL: service.url, EMBEDDING_API: 'openai', EMBEDDING_MODEL: 'fake-model' },
    });
    const { key } = await h.tenantWithKey();
    auth = { authorization: `Bearer ${key}` };
  });
  after(async () => {
    await h?.close();
    await new Promise((r) => service?.server.close(r));
  });

  it('sends upserted and searched texts to the embedding service and finds the point by its vector', async () => {
    const up = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/summaries/points',
      headers: auth,
      payload: {
        points: [
          { key: ['alpha', 0], text: 'alpha upserted text', payload: { session_id: 'e' } },
          { key: ['omega', 0], text: 'omega upserted text', payload: { session_id: 'e' } },
        ],
      },
    });
    assert.equal(up.statusCode, 200, up.body);
    assert.deepEqual(service.texts, ['alpha upserted text', 'omega upserted text']);
    const ids = up.json().ids as string[];
    await h.memory.flush({ timeoutMs: 10_000 });

    const search = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/summaries/search',
      headers: auth,
      payload: { text: 'omega query', limit: 1 },
    });
    assert.equal(search.statusCode, 200, search.body);
    assert.equal(service.texts.at(-1), 'omega query', 'the search text went to the embedding service');
    const [hit] = search.json().hits as Array<{ id: string; score: number }>;
    assert.equal(hit?.id, ids[1]);
    assert.ok((hit?.score ?? 0) > 0.99, `score ${hit?.score}: the same one-hot vector`);
  });
});
