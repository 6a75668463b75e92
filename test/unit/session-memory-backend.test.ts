/** The in-process session cache's bounds: bytes and entries over all tenants, and a share per tenant. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySessionBackend } from '../../src/sessions/memory-session-backend.js';
import type { SessionEntry, SessionEviction } from '../../src/sessions/session-entry.js';

const KIB = 1024;

function entry(tenantId: string, sessionId: string): SessionEntry {
  return { tenantId, sessionId, state: { data: {} }, version: 1, expiresAt: Number.MAX_SAFE_INTEGER };
}

async function held(backend: MemorySessionBackend, tenantId: string, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) if ((await backend.get(tenantId, id)) !== undefined) out.push(id);
  return out;
}

function names(evictions: SessionEviction[]): string[] {
  return evictions.map((e) => `${e.entry.tenantId}/${e.entry.sessionId}:${e.reason}`);
}

describe('memory session backend bounds', () => {
  it("one tenant writing far past its share pushes out only its own sessions, and the cache's bytes stay within the bound", async () => {
    const backend = new MemorySessionBackend({ maxEntries: 10_000, maxBytes: 1024 * KIB, tenantShare: 0.25 });
    const victims = ['v0', 'v1', 'v2'];
    for (const id of victims) await backend.set(entry('victim', id), 64 * KIB);
    const evicted: SessionEviction[] = [];
    for (let i = 0; i < 100; i += 1) {
      evicted.push(...(await backend.set(entry('noisy', `n${i}`), 64 * KIB)));
      assert.ok((await backend.bytes()) <= 1024 * KIB);
    }
    assert.deepEqual(await held(backend, 'victim', victims), victims);
    assert.equal(backend.tenantBytes('noisy'), 256 * KIB, 'the noisy tenant holds exactly its share');
    // Every session it lost is returned (to be archived), its oldest first, none of another tenant's.
    assert.equal(evicted.length, 96);
    assert.deepEqual(names(evicted).slice(0, 2), ['noisy/n0:tenant_share', 'noisy/n1:tenant_share']);
    assert.ok(evicted.every((e) => e.entry.tenantId === 'noisy'));
  });

  it('a full cache evicts from the tenant holding the most bytes, least recently used first, never the write itself', async () => {
    const backend = new MemorySessionBackend({ maxEntries: 10_000, maxBytes: 1024 * KIB, tenantShare: 0.5 });
    // a: 512 KiB (its share), b: 256 KiB, c: 256 KiB → full.
    for (const id of ['a0', 'a1']) await backend.set(entry('a', id), 256 * KIB);
    await backend.set(entry('b', 'b0'), 256 * KIB);
    await backend.set(entry('c', 'c0'), 128 * KIB);
    await backend.set(entry('c', 'c1'), 128 * KIB);
    await backend.get('a', 'a0'); // a1 is now a's least recently used
    const out = await backend.set(entry('c', 'c2'), 128 * KIB);
    assert.deepEqual(names(out), ['a/a1:capacity']);
    assert.equal(await backend.bytes(), 896 * KIB);
    // c is now the largest (384 KiB) and at the bound again: its own oldest goes, not the new write.
    await backend.set(entry('b', 'b1'), 128 * KIB);
    const next = await backend.set(entry('c', 'c3'), 128 * KIB);
    assert.deepEqual(names(next), ['c/c0:capacity']);
    assert.deepEqual(await held(backend, 'c', ['c1', 'c2', 'c3']), ['c1', 'c2', 'c3']);
  });

  it('counts entries too: a tenant holds at most its share of the sessions, and rewriting a session does not count twice', async () => {
    const backend = new MemorySessionBackend({ maxEntries: 8, maxBytes: 1024 * KIB, tenantShare: 0.25 });
    for (const id of ['x0', 'x1']) await backend.set(entry('x', id), 1);
    assert.deepEqual(await backend.set(entry('x', 'x1'), 10), []);
    assert.equal(backend.tenantBytes('x'), 11);
    const out = await backend.set(entry('x', 'x2'), 1);
    assert.deepEqual(names(out), ['x/x0:tenant_share']);
    assert.equal(await backend.size(), 2);
    await backend.delete('x', 'x1');
    assert.equal(await backend.bytes(), 1);
  });

  it("rewriting a tenant's only session keeps it", async () => {
    const backend = new MemorySessionBackend({ maxEntries: 8, maxBytes: 1024 * KIB, tenantShare: 0.25 });
    await backend.set(entry('x', 'x0'), 5);
    await backend.set({ ...entry('x', 'x0'), version: 2 }, 7);
    assert.equal((await backend.get('x', 'x0'))?.version, 2);
    assert.equal(backend.tenantBytes('x'), 7);
    assert.equal(await backend.bytes(), 7);
  });
});
