/**
 * The dashboard's script, run in a sandbox with a stub page: without a key it must send no /v1
 * request (each would count as a failed authentication against the operator's address); with one
 * it sends it as a bearer token.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { DASHBOARD_HTML } from '../../src/server/dashboard/dashboard-page.js';

function runPage(storedKey: string | null): { url: string; authorization?: string }[] {
  const script = /<script>([\s\S]*)<\/script>/.exec(DASHBOARD_HTML)?.[1];
  assert.ok(script, 'the page has an inline script');
  const requests: { url: string; authorization?: string }[] = [];
  const element = (): Record<string, unknown> => ({
    value: '',
    textContent: '',
    className: '',
    appendChild: () => undefined,
    insertRow: () => ({ insertCell: () => ({}), appendChild: () => undefined }),
  });
  const elements = new Map<string, Record<string, unknown>>();
  const sandbox = {
    document: {
      getElementById: (id: string) => elements.get(id) ?? elements.set(id, element()).get(id),
      createElement: () => element(),
    },
    sessionStorage: { getItem: () => storedKey, setItem: () => undefined },
    fetch: (url: string, init?: { headers?: { authorization?: string } }) => {
      requests.push({
        url,
        ...(init?.headers?.authorization ? { authorization: init.headers.authorization } : {}),
      });
      return new Promise(() => undefined);
    },
    setInterval: () => 0,
  };
  runInNewContext(script, sandbox);
  return requests;
}

test('without a key the dashboard sends no /v1 request', () => {
  const requests = runPage(null);
  assert.deepEqual(
    requests.map((r) => r.url),
    ['/readyz'],
  );
});

test('with a key every /v1 request carries it', () => {
  const requests = runPage('sdk_example');
  const v1 = requests.filter((r) => r.url.startsWith('/v1/'));
  assert.ok(v1.length >= 3, JSON.stringify(requests));
  for (const r of v1) assert.equal(r.authorization, 'Bearer sdk_example', r.url);
});
