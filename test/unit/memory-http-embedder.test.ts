import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpEmbedder } from '../../src/memory/embedder/http-embedder.js';

function embedder(fetchImpl: typeof fetch, timeoutMs = 1_000): HttpEmbedder {
  return new HttpEmbedder({
    url: 'http://embed',
    api: 'openai',
    model: 'm',
    dimension: 4,
    timeoutMs,
    fetch: fetchImpl,
  });
}

describe('HTTP embedder failures', () => {
  it('reports a body that is not JSON as a backend failure, not a raw SyntaxError', async () => {
    const e = embedder((async () => new Response('<html>gateway</html>', { status: 200 })) as typeof fetch);
    await assert.rejects(
      e.embed(['hello']),
      (error: { code?: string; details?: { infrastructure?: boolean } }) =>
        error.code === 'VECTOR_BACKEND_FAILED' && error.details?.infrastructure === true,
    );
  });

  it('ends a hung call with a backend failure at the deadline', async () => {
    const hang = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as unknown as typeof fetch;
    await assert.rejects(embedder(hang, 30).embed(['hello']), { code: 'VECTOR_BACKEND_FAILED' });
  });
});
