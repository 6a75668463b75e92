/**
 * Probes, scrapes and dashboard polls log their request lines at debug; other requests, and polls
 * that fail, still log at info.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { LogLevel } from '../../src/config/config.js';
import { createServer } from '../../src/server/create-server.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

interface LogLine {
  level: number;
  msg: string;
  req?: { url?: string };
  reqId?: string;
}

const DEBUG = 20;
const INFO = 30;

describe('request logs', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(() => h.close());

  /** An app over the harness's data layer whose log lines land in the returned array. */
  async function loggingApp(logLevel: LogLevel): Promise<{ app: FastifyInstance; lines: LogLine[] }> {
    const lines: LogLine[] = [];
    const logStream = new Writable({
      write(chunk, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as LogLine);
        done();
      },
    });
    const app = await createServer(h.dataLayer, { logger: true, logLevel, logStream });
    await app.ready();
    return { app, lines };
  }

  /** The levels of the lines logged for one request (matched by its request id). */
  function levelsOf(lines: LogLine[], url: string): number[] {
    const ids = new Set(lines.filter((l) => l.req?.url === url).map((l) => l.reqId));
    assert.equal(ids.size, 1, `one request to ${url} in the log`);
    return lines.filter((l) => ids.has(l.reqId)).map((l) => l.level);
  }

  it('writes no info line for probes, scrapes and the dashboard’s page, assets and polls, and two for other routes', async () => {
    const { key } = await h.tenantWithKey({ operator: true });
    const { app, lines } = await loggingApp('info');
    try {
      const auth = { authorization: `Bearer ${key}` };
      for (const url of [
        '/metrics',
        '/healthz',
        '/readyz',
        '/dashboard',
        '/dashboard/assets/dashboard.js',
        '/v1/admin/overview',
        '/v1/admin/dashboard/series',
      ]) {
        const res = await app.inject({ url, headers: auth });
        assert.equal(res.statusCode, 200, url);
      }
      assert.deepEqual(
        lines.filter((l) => l.level >= INFO).map((l) => `${l.msg} ${l.req?.url ?? ''}`),
        [],
        'polled requests log nothing at info',
      );
      const res = await app.inject({ url: '/v1/whoami', headers: auth });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(
        lines.map((l) => [l.level, l.msg]),
        [
          [INFO, 'incoming request'],
          [INFO, 'request completed'],
        ],
      );
      // A poll that fails is worth a line: the dashboard with a wrong key.
      await app.inject({ url: '/v1/admin/overview', headers: { authorization: `Bearer ${key}x` } });
      assert.deepEqual(
        lines.slice(2).map((l) => [l.level, l.msg]),
        [[INFO, 'request completed']],
        'a refused poll logs its completion at info',
      );
    } finally {
      await app.close();
    }
  });

  it('writes the polled requests’ lines at debug', async () => {
    const { app, lines } = await loggingApp('debug');
    try {
      for (const url of ['/metrics', '/healthz', '/readyz']) {
        await app.inject({ url });
        assert.deepEqual(levelsOf(lines, url), [DEBUG, DEBUG], url);
      }
      assert.equal(lines.length, 6, 'two lines per request, nothing else');
    } finally {
      await app.close();
    }
  });
});
