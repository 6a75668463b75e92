import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QdrantHttp } from '../../src/memory/qdrant/qdrant-http.js';

function stubFetch(statuses: number[]): {
  fetch: typeof fetch;
  calls: Array<{ url: string; headers: Record<string, string> }>;
} {
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const fn = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), headers: init?.headers as Record<string, string> });
    const status = statuses.shift() ?? 200;
    if (status === 0) throw new TypeError('fetch failed');
    return new Response(
      JSON.stringify(status === 200 ? { result: true, status: 'ok' } : { status: { error: 'nope' } }),
      { status },
    );
  }) as typeof fetch;
  return { fetch: fn, calls };
}

describe('Qdrant HTTP client', () => {
  it('sends api-key and a W3C traceparent on every call', async () => {
    const { fetch, calls } = stubFetch([200]);
    const http = new QdrantHttp({ url: 'http://q:6333/', apiKey: 'k', fetch });
    await http.request('GET', '/collections');
    assert.equal(calls[0]?.url, 'http://q:6333/collections');
    assert.equal(calls[0]?.headers['api-key'], 'k');
    assert.match(calls[0]?.headers['traceparent'] ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('opens the breaker on infrastructure failures only (5xx, network), not on 4xx', async () => {
    const { fetch, calls } = stubFetch([400, 404, 409, 400, 400, 400, 503, 0, 500, 502, 503, 200]);
    const http = new QdrantHttp({
      url: 'http://q',
      fetch,
      breakerFailureThreshold: 5,
      breakerHalfOpenAfterMs: 60_000,
    });
    for (let i = 0; i < 6; i += 1) {
      await assert.rejects(
        http.request('GET', '/x'),
        (e: { code: string; details: { infrastructure: boolean } }) => {
          return e.code === 'VECTOR_BACKEND_FAILED' && e.details.infrastructure === false;
        },
      );
    }
    assert.equal(http.breaker.state, 'closed', 'six client errors do not open it');
    for (let i = 0; i < 5; i += 1)
      await assert.rejects(http.request('GET', '/x'), { code: 'VECTOR_BACKEND_FAILED' });
    assert.equal(http.breaker.state, 'open');
    const before = calls.length;
    await assert.rejects(http.request('GET', '/x'), { code: 'BREAKER_OPEN' });
    assert.equal(calls.length, before, 'an open breaker does not call Qdrant');
  });

  it('times out a hung call', async () => {
    const hang = ((_url: string, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as unknown as typeof fetch;
    const http = new QdrantHttp({ url: 'http://q', fetch: hang, timeoutMs: 30 });
    await assert.rejects(
      http.request('GET', '/'),
      (e: { details: { timeout: boolean } }) => e.details.timeout === true,
    );
  });
});
