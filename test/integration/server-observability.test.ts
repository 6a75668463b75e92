import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createServer } from '../../src/server/create-server.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

describe('logs, traces and metrics', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(() => h.close());

  it('logs JSON lines without keys, answers with the caller’s trace id, and records route templates', async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk, _enc, done) {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter((l: string) => l !== ''),
        );
        done();
      },
    });
    const app = await createServer(h.dataLayer, { logger: true, logLevel: 'debug', logStream });
    try {
      const { key } = await h.tenantWithKey();
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const res = await app.inject({
        url: '/v1/tasks/wf-observed-123',
        headers: {
          authorization: `Bearer ${key}`,
          'x-api-key': key,
          traceparent: `00-${traceId}-b7ad6b7169203331-01`,
        },
      });
      assert.equal(res.statusCode, 404);
      assert.match(res.headers['traceparent'] as string, new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
      await app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}x` } });
      assert.ok(lines.length >= 4, `log lines: ${lines.length}`);
      for (const line of lines) {
        JSON.parse(line);
        assert.ok(!line.includes(key.slice(4, 30)), `a key reached the log: ${line}`);
      }
      const metrics = await h.dataLayer.metrics.metricsText();
      assert.match(
        metrics,
        /shannon_http_request_duration_seconds_count\{method="GET",route="\/v1\/tasks\/:workflowId",status="404"\} [1-9]/,
      );
      assert.doesNotMatch(metrics, /wf-observed-123/, 'raw URLs never become label values');
      assert.match(metrics, /shannon_http_auth_failures_total\{reason="invalid"\} [1-9]/);
    } finally {
      await app.close();
    }
  });
});
