/**
 * `demo --tasks 300` used to fail: its event batch was larger than the service's 1,000-record
 * limit, and the 413 came back as INTERNAL. The workload now splits every batch to the limits, and
 * a refusal keeps the service's code.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chunkWithin, runDemo } from '../../src/devtools/demo/demo-workload.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

describe('demo workload', () => {
  let h: ServerHarness;
  let url: string;
  before(async () => {
    h = await startServerHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await h?.close();
  });

  it('splits by record count and by bytes, keeping order', () => {
    const records = Array.from({ length: 2_500 }, (_, i) => ({ i }));
    const byCount = chunkWithin(records, 1_000, 1e9);
    assert.deepEqual(
      byCount.map((c) => c.length),
      [1_000, 1_000, 500],
    );
    assert.deepEqual(byCount.flat(), records);
    const big = Array.from({ length: 10 }, () => ({ text: 'x'.repeat(100) }));
    const byBytes = chunkWithin(big, 1_000, 350);
    assert.ok(byBytes.every((c) => c.length <= 3));
    assert.equal(byBytes.flat().length, 10);
  });

  it('runs 300 tasks through the service', async () => {
    const { key } = await h.tenantWithKey();
    const summary = await runDemo({ url, apiKey: key, tasks: 300 });
    assert.equal(summary.tasks, 300);
    // Each task is written when it starts and again when it completes.
    assert.equal(summary.records['task_execution'], 600);
    assert.equal(summary.memoryPoints, 300);
    const events = summary.records['event_log'] ?? 0;
    assert.ok(events > 1_000, `more events than one request may carry (${events})`);
  });

  it("reports a refusal with the service's code", async () => {
    const { key } = await h.tenantWithKey({ scopes: ['data:read'] });
    await assert.rejects(runDemo({ url, apiKey: key, tasks: 1 }), { code: 'FORBIDDEN' });
  });
});
