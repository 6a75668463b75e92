/**
 * The README's start command on a fresh data directory: no DATABASE_URL, so the service starts the
 * embedded PostgreSQL, migrates it, answers /healthz, and shuts down gracefully on SIGTERM. Also as root (CI runs
 * as root): the embedded server then runs as the `postgres` system user.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/free-port.js';

const ROOT = join(import.meta.dirname, '../..');

async function waitFor(url: string, deadlineMs: number, alive: () => boolean): Promise<Response> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until && alive()) {
    try {
      return await fetch(url);
    } catch (error) {
      last = error;
      await sleep(250);
    }
  }
  throw new Error(`${url} did not answer (service running: ${alive()}): ${String(last)}`);
}

describe('npm start on embedded defaults', () => {
  it('serves GET /healthz with no DATABASE_URL, then stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shannon-start-'));
    const [port, pgPort] = [await freePort(), await freePort()];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && k !== 'DATABASE_URL' && k !== 'REDIS_URL' && k !== 'QDRANT_URL') env[k] = v;
    }
    Object.assign(env, {
      PORT: String(port),
      SHANNON_DATA_DIR: dataDir,
      SHANNON_EMBEDDED_PG_PORT: String(pgPort),
      LOG_LEVEL: 'info',
    });
    // Its own process group, like a terminal job: signals go to npm and the service alike.
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // The group is gone already.
      }
    };
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    let running = true;
    // 'close' fires once every process holding the output pipes — npm and the service — is gone.
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        running = false;
        resolve(code);
      }),
    );
    try {
      const health = await waitFor(`http://127.0.0.1:${port}/healthz`, 180_000, () => running).catch(
        (error: unknown) => assert.fail(`${String(error)}\n--- service output ---\n${output}`),
      );
      assert.equal(health.status, 200, output);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      signalGroup('SIGTERM');
      const closed = await Promise.race([
        exited.then(() => 'closed'),
        sleep(60_000).then(() => 'still running'),
      ]);
      assert.equal(closed, 'closed', output);
      // npm itself dies of the signal; the service logs the end of its graceful shutdown.
      assert.match(output, /"msg":"stopped"/, output);
    } finally {
      signalGroup('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
