/**
 * Runs the README's "First steps with curl" and "Demo" blocks against a real `serve` process.
 * `npm start &` and `export SHANNON_URL=` are replaced by the test's own server (on a free port,
 * over the test database); `npx shannon-data` runs this checkout's CLI through a PATH shim.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The shell lines of the first ```sh block after a README heading. */
export function readmeBlock(heading: string): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf(`## ${heading}\n`);
  assert.ok(start >= 0, `README has no "## ${heading}" section`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(start));
  assert.ok(block !== null, `no sh block under ${heading}`);
  return block[1]!
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('README walk-through', () => {
  let t: TestDatabase;
  let dir: string;
  let serve: ChildProcess;
  let env: Record<string, string>;
  before(async () => {
    t = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'shannon-readme-'));
    const shim = join(dir, 'bin');
    spawnSync('mkdir', ['-p', shim]);
    const real = spawnSync('bash', ['-c', 'command -v npx']).stdout.toString().trim();
    writeFileSync(
      join(shim, 'npx'),
      `#!/bin/sh\nif [ "$1" = "shannon-data" ]; then shift; exec "${process.execPath}" --import tsx "${ROOT}src/cli/main.ts" "$@"; fi\nexec "${real}" "$@"\n`,
    );
    chmodSync(join(shim, 'npx'), 0o755);
    const port = await freePort();
    env = {
      ...(process.env as Record<string, string>),
      PATH: `${shim}:${process.env['PATH']}`,
      NODE_OPTIONS: '',
      DATABASE_URL: t.url,
      PORT: String(port),
      SHANNON_DATA_DIR: join(dir, 'data'),
      SHANNON_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'warn',
    };
    serve = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env,
      stdio: 'ignore',
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`${env['SHANNON_URL']}/readyz`)).ok) break;
      } catch {
        // not up yet
      }
      assert.ok(Date.now() < deadline, 'serve did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('"First steps with curl" and "Demo" run as written', () => {
    const lines = [...readmeBlock('First steps with curl'), ...readmeBlock('Demo')].filter(
      (l) => !l.startsWith('npm start') && !l.startsWith('export SHANNON_URL='),
    );
    assert.ok(lines.some((l) => l.includes('keys create')));
    const script = ['set -euo pipefail', ...lines.map((l) => `${l}; echo`)].join('\n');
    const run = spawnSync('bash', ['-c', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
    const out = run.stdout;
    assert.match(out, /created tenant acme/);
    assert.match(out, /"accepted":1/);
    assert.match(out, /"workflowId":"wf-1"/);
    assert.match(out, /"hits":\[\{"id":"[0-9a-f-]{36}","score":[0-9.]+,"payload":\{[^}]*"session_id":"s-1"/);
    assert.match(out, /demo run [0-9a-f]{8}: 12 tasks/);
    assert.doesNotMatch(out, /"error"/);
  });
});
