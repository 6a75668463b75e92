/**
 * The in-process session cache under one tenant's flood, through HTTP with the bound set by
 * SHANNON_SESSION_CACHE_MAX_BYTES: other tenants keep their hot state, the cache stays within its
 * bytes, and what the flooding tenant loses is archived (and read back from the archive).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type ServerHarness, startServerHarness } from './server-harness.js';

const MIB = 1024 * 1024;
/** A state whose serialized length is just under 64 KiB: four of them fill a 256 KiB share. */
const LARGE_STATE = { data: { blob: 'x'.repeat(64 * 1024 - 32) } };

describe('session cache bounds over HTTP', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness({
      env: { SHANNON_SESSION_CACHE_MAX_BYTES: String(MIB), SHANNON_SESSION_CACHE_TENANT_SHARE: '0.25' },
    });
  });
  after(() => h.close());

  async function put(key: string, sessionId: string, state: unknown): Promise<void> {
    const res = await h.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${sessionId}/state`,
      headers: { authorization: `Bearer ${key}` },
      payload: { state },
    });
    assert.equal(res.statusCode, 200, res.body);
  }

  /** Where a read of the session's state is answered from: `cache` (hot), `archive`, or the status. */
  async function source(key: string, sessionId: string): Promise<string | number> {
    const res = await h.app.inject({
      url: `/v1/sessions/${sessionId}/state`,
      headers: { authorization: `Bearer ${key}` },
    });
    return res.statusCode === 200 ? (res.json() as { source: string }).source : res.statusCode;
  }

  it("one tenant's flood of 64 KiB states cannot push out another tenant's sessions; its own are archived", async () => {
    const victim = await h.tenantWithKey();
    const noisy = await h.tenantWithKey();
    const victimIds = ['v-0', 'v-1', 'v-2', 'v-3'];
    for (const id of victimIds) await put(victim.key, id, LARGE_STATE);
    const noisyIds = Array.from({ length: 40 }, (_, i) => `n-${i}`);
    for (const id of noisyIds) await put(noisy.key, id, LARGE_STATE);

    for (const id of victimIds) assert.equal(await source(victim.key, id), 'cache', `victim's ${id}`);
    // The flood kept only its share (four sessions of just under 64 KiB); the rest went to the archive.
    const cached = [];
    for (const id of noisyIds) {
      const from = await source(noisy.key, id);
      if (from === 'cache') cached.push(id);
      else assert.equal(from, 'archive', `${id} reads from the archive`);
    }
    assert.deepEqual(cached, noisyIds.slice(-4));

    const text = await h.t.metrics.metricsText();
    const bytes = Number(/shannon_sessions_cache_bytes\{backend="memory"\} (\d+)/.exec(text)?.[1]);
    assert.ok(bytes > 0 && bytes <= MIB, `cache holds ${bytes} bytes`);
    assert.match(text, /shannon_sessions_cache_evictions_total\{backend="memory",reason="tenant_share"\} 36/);

    const client = new pg.Client({ connectionString: h.t.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ session_id: string }>(
        'SELECT DISTINCT session_id FROM session_archives WHERE tenant_id = $1',
        [noisy.tenantId],
      );
      const archived = new Set(rows.map((r) => r.session_id));
      for (const id of noisyIds.slice(0, -4)) assert.ok(archived.has(id), `${id} was archived`);
    } finally {
      await client.end();
    }
  });
});
