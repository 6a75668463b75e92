import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ServerHarness, startServerHarness } from './server-harness.js';

describe('OpenAPI document', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(() => h.close());

  it('lists every /v1 route with its security, and the error shape', async () => {
    const res = await h.app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[]; responses?: Record<string, unknown> }>>;
    };
    assert.equal(doc.openapi, '3.1.0');
    const routes = h.app.printRoutes({ commonPrefix: false });
    for (const path of [
      '/v1/ingest/{kind}',
      '/v1/tasks',
      '/v1/tasks/{workflowId}',
      '/v1/tasks/{workflowId}/events',
      '/v1/tasks/{workflowId}/usage',
      '/v1/usage/report',
      '/v1/sessions',
      '/v1/sessions/{sessionId}',
      '/v1/sessions/{sessionId}/state',
      '/v1/memory/{collection}/points',
      '/v1/memory/{collection}/search',
      '/v1/admin/overview',
    ]) {
      const ops = doc.paths[path];
      assert.ok(ops, `${path} missing from the document (routes: ${routes})`);
      for (const [method, op] of Object.entries(ops)) {
        assert.deepEqual(op.security, [{ apiKey: [] }], `${method} ${path} security`);
        assert.ok(op.responses?.['4XX'] ?? op.responses?.['4xx'], `${method} ${path} documents its errors`);
      }
    }
  });
});
