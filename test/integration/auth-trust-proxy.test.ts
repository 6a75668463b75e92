/**
 * SHANNON_TRUST_PROXY: behind a trusted proxy the failed-authentication counter is per client
 * (X-Forwarded-For), not shared by everyone behind the proxy; without the setting the header is
 * ignored, so a client cannot pick its own address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

async function statuses(h: ServerHarness, forwardedFor: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const res = await h.app.inject({
      url: '/v1/whoami',
      remoteAddress: '127.0.0.1',
      headers: { authorization: 'Bearer nope', 'x-forwarded-for': forwardedFor },
    });
    out.push(res.statusCode);
  }
  return out;
}

describe('client address behind a proxy', () => {
  let trusted: ServerHarness;
  let untrusted: ServerHarness;
  before(async () => {
    trusted = await startServerHarness({
      limits: { authFailuresPerMinute: 3 },
      env: { SHANNON_TRUST_PROXY: '127.0.0.1' },
    });
    untrusted = await startServerHarness({ limits: { authFailuresPerMinute: 3 } });
  });
  after(async () => {
    await trusted.close();
    await untrusted.close();
  });

  it('with the proxy trusted, each forwarded client has its own failure budget', async () => {
    assert.deepEqual(await statuses(trusted, '198.51.100.1', 4), [401, 401, 401, 429]);
    assert.deepEqual(await statuses(trusted, '198.51.100.2', 1), [401]);
  });

  it('without it, X-Forwarded-For is ignored: every client behind the proxy shares one budget', async () => {
    assert.deepEqual(await statuses(untrusted, '198.51.100.1', 3), [401, 401, 401]);
    assert.deepEqual(await statuses(untrusted, '198.51.100.2', 1), [429]);
  });

  it('the setting takes a hop count or addresses / CIDR ranges, and names itself when wrong', () => {
    const parse = (v: string) => loadConfig({ env: { SHANNON_TRUST_PROXY: v } }).trustProxy;
    assert.equal(parse('false'), false);
    assert.equal(parse('2'), 2);
    assert.deepEqual(parse('10.0.0.0/8, 127.0.0.1,::1'), ['10.0.0.0/8', '127.0.0.1', '::1']);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '1.2.3.4/8/1', 'yes']) {
      assert.throws(() => parse(bad), { code: 'CONFIG_INVALID', field: 'SHANNON_TRUST_PROXY' }, bad);
    }
  });
});
