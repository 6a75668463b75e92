/**
 * SIGTERM during a write burst (Q3 through HTTP): clients send batches of event records to a real
 * `shannon-data serve` process; mid-burst it gets SIGTERM. Pass: exit status 0, and every record
 * of every batch answered 2xx is stored exactly once (after a restart replays anything spooled).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/auth/api-keys.js';
import { createTenant } from '../../src/auth/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const ROUNDS = 2;
const CLIENTS = 8;
const BATCH = 25;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function startServe(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: new URL('../../', import.meta.url).pathname,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      if (code !== 0) process.stderr.write(`serve stderr: ${stderr.slice(-2000)}\n`);
      resolve(code);
    });
  });
  return { child, exited };
}

async function waitHealthy(base: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve did not become ready');
}

describe('SIGTERM during a write burst', () => {
  let t: TestDatabase;
  let key: string;
  let tenantId: string;
  let dataDir: string;
  before(async () => {
    t = await createTestDatabase();
    tenantId = (await createTenant(t.db, { slug: 'burst', rateLimitPerHour: 10_000_000 })).id;
    key = (await createApiKey(t.db, { tenantId, name: 'burst' })).key;
    dataDir = mkdtempSync(join(tmpdir(), 'shannon-sigterm-'));
  });
  after(async () => {
    await t.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${ROUNDS} rounds: exit 0, every 2xx-answered record stored exactly once`, async () => {
    const acknowledged: string[] = [];
    let refusedOrFailed = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const env = {
        DATABASE_URL: t.url,
        PORT: String(port),
        SHANNON_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        VECTOR_DIMENSION: '8',
      };
      const serve = startServe(env);
      await waitHealthy(base);
      let stop = false;
      let sent = 0;
      const client = async (c: number) => {
        for (let i = 0; !stop; i += 1) {
          const keys = Array.from({ length: BATCH }, (_, j) => `r${round}-c${c}-b${i}-${j}`);
          sent += 1;
          try {
            const res = await fetch(`${base}/v1/ingest/event_log`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                records: keys.map((k) => ({
                  workflow_id: `wf-${round}-${c}`,
                  type: 'BURST',
                  message: k,
                  idempotency_key: k,
                })),
              }),
            });
            await res.arrayBuffer();
            if (res.status >= 200 && res.status < 300) acknowledged.push(...keys);
            else refusedOrFailed += 1;
          } catch {
            refusedOrFailed += 1;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
      await new Promise((r) => setTimeout(r, 1_500));
      serve.child.kill('SIGTERM');
      const code = await serve.exited;
      stop = true;
      await Promise.all(clients);
      assert.equal(code, 0, `round ${round}: exit status`);
      assert.ok(sent > CLIENTS, 'the burst sent requests');
    }
    // A restart replays whatever the last shutdown spooled.
    const port = await freePort();
    const serve = startServe({
      DATABASE_URL: t.url,
      PORT: String(port),
      SHANNON_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      VECTOR_DIMENSION: '8',
    });
    await waitHealthy(`http://127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 1_000));
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);

    assert.ok(acknowledged.length > 0, 'some batches were acknowledged');
    const { rows } = await t.db.query<{ idempotency_key: string; n: number }>(
      `SELECT idempotency_key, count(*)::int AS n FROM public.event_logs WHERE tenant_id = $1 GROUP BY idempotency_key`,
      [tenantId],
    );
    const stored = new Map(rows.map((r) => [r.idempotency_key, r.n]));
    const missing = acknowledged.filter((k) => !stored.has(k));
    const duplicated = rows.filter((r) => r.n > 1);
    assert.deepEqual(
      missing.slice(0, 5),
      [],
      `${missing.length} of ${acknowledged.length} acknowledged records missing`,
    );
    assert.deepEqual(duplicated.slice(0, 5), [], 'duplicated records');
    console.log(
      `sigterm: ${acknowledged.length} acknowledged records over ${ROUNDS} rounds, all stored once; ${refusedOrFailed} requests refused or cut off during shutdown`,
    );
  });
});
