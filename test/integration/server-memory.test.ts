import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ServerHarness, startServerHarness, TEST_DIMENSION } from './server-harness.js';

const vec = (i: number) =>
  Array.from({ length: TEST_DIMENSION }, (_, j) => (j === i % TEST_DIMENSION ? 1 : 0.01 * (j + 1)));

describe('memory routes', () => {
  let h: ServerHarness;
  let auth: { authorization: string };
  before(async () => {
    h = await startServerHarness();
    const { key } = await h.tenantWithKey();
    auth = { authorization: `Bearer ${key}` };
  });
  after(() => h.close());

  it('refuses a delete filter without a condition (it would delete the whole collection)', async () => {
    const up = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/summaries/points',
      headers: auth,
      payload: { points: [{ key: ['keep-me', 0], vector: vec(3), payload: { session_id: 'k' } }] },
    });
    assert.equal(up.statusCode, 200, up.body);
    await h.memory.flush({ timeoutMs: 10_000 });
    // Empty trees of every shape, as generated: none names a condition.
    const empties = [
      { must: [] },
      { should: [] },
      { must_not: [] },
      { must: [{ must: [] }] },
      { should: [{ must_not: [] }, { must: [{ should: [] }] }] },
    ];
    for (const filter of empties) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/memory/summaries/points/delete',
        headers: auth,
        payload: { filter },
      });
      assert.equal(res.statusCode, 400, `${JSON.stringify(filter)}: ${res.body}`);
      assert.equal(res.json().error.field, 'filter');
    }
    const recent = await h.app.inject({ url: '/v1/memory/summaries/sessions/k/recent', headers: auth });
    assert.equal(recent.json().hits.length, 1, 'the point is still there');
  });

  it('upserts, searches, lists recent by session and deletes', async () => {
    const up = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/task_embeddings/points',
      headers: auth,
      payload: {
        points: [
          { key: ['qa-1', 0], vector: vec(0), payload: { session_id: 's1', query: 'first', timestamp: 100 } },
          {
            key: ['qa-2', 0],
            vector: vec(1),
            payload: { session_id: 's1', query: 'second', timestamp: 200 },
          },
        ],
      },
    });
    assert.equal(up.statusCode, 200, up.body);
    const ids: string[] = up.json().ids;
    assert.equal(ids.length, 2);
    await h.memory.flush({ timeoutMs: 10_000 });

    const search = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/task_embeddings/search',
      headers: auth,
      payload: { vector: vec(1), limit: 1 },
    });
    assert.equal(search.statusCode, 200, search.body);
    assert.equal(search.json().hits[0].id, ids[1]);
    assert.equal(search.json().hits[0].payload.query, 'second');
    assert.equal(search.json().hits[0].payload.tenant_id, undefined);

    const recent = await h.app.inject({
      url: '/v1/memory/task_embeddings/sessions/s1/recent?limit=2',
      headers: auth,
    });
    assert.equal(recent.statusCode, 200, recent.body);
    assert.deepEqual(
      recent.json().hits.map((x: { payload: { query: string } }) => x.payload.query),
      ['second', 'first'],
    );

    const del = await h.app.inject({
      method: 'DELETE',
      url: `/v1/memory/task_embeddings/points/${ids[0]}`,
      headers: auth,
    });
    assert.equal(del.statusCode, 204, del.body);
    const again = await h.app.inject({
      method: 'DELETE',
      url: `/v1/memory/task_embeddings/points/${ids[0]}`,
      headers: auth,
    });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error.code, 'NOT_FOUND');
  });

  it('embeds text server-side when no vector is given (lexical hashing embedder)', async () => {
    const up = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/cases/points',
      headers: auth,
      payload: {
        points: [
          { key: ['t1'], text: 'postgres partition retention policy', payload: { n: 1 } },
          { key: ['t2'], text: 'qdrant vector collection alias', payload: { n: 2 } },
        ],
      },
    });
    assert.equal(up.statusCode, 200, up.body);
    await h.memory.flush({ timeoutMs: 10_000 });
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/cases/search',
      headers: auth,
      payload: { text: 'vector collection in qdrant', limit: 1 },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().hits[0].payload.n, 2);
    const both = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/cases/search',
      headers: auth,
      payload: { text: 'x', vector: vec(0) },
    });
    assert.equal(both.statusCode, 400);
  });

  it('rejects a vector of the wrong dimension or beyond float32, naming the field', async () => {
    for (const vector of [vec(0).slice(1), [...vec(0), 1], [1e39, ...vec(0).slice(1)], []]) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/memory/task_embeddings/points',
        headers: auth,
        payload: { points: [{ key: ['x'], vector }] },
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'VALIDATION_FAILED');
      assert.match(res.json().error.field, /^points\[0\]\.vector/);
    }
  });

  it('batch limit: at the limit accepted, one beyond 413', async () => {
    const limit = 256;
    const points = (n: number) => Array.from({ length: n }, (_, i) => ({ key: ['lim', i], vector: vec(i) }));
    const ok = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/summaries/points',
      headers: auth,
      payload: { points: points(limit) },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const tooMany = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/summaries/points',
      headers: auth,
      payload: { points: points(limit + 1) },
    });
    assert.equal(tooMany.statusCode, 413);
    assert.equal(tooMany.json().error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(tooMany.json().error.field, 'points');
  });

  it('search top-k limit: 100 accepted, 101 rejected with 400', async () => {
    const ok = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/summaries/search',
      headers: auth,
      payload: { vector: vec(0), limit: 100 },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const bad = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/summaries/search',
      headers: auth,
      payload: { vector: vec(0), limit: 101 },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.field, 'limit');
  });
});
