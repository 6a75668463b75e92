/**
 * The README's "Dashboard" block runs as written: it creates an operator key with the CLI and that
 * key reads the dashboard's data (`npx shannon-data` runs this checkout's CLI through a PATH shim,
 * against the test's own service and database), and the page it names is served. A failing line
 * rejects with its output.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTenant } from '../../src/auth/tenants.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function readmeBlock(heading: string): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf(`## ${heading}\n`);
  assert.ok(start >= 0, `README has no "## ${heading}" section`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(start));
  assert.ok(block !== null, `no sh block under ${heading}`);
  return block[1]!.split('\n').filter((l) => l.trim() !== '');
}

describe('README "Dashboard"', () => {
  let h: ServerHarness;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    h = await startServerHarness();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    await createTenant(h.dataLayer.db, { slug: 'acme' });
    dir = mkdtempSync(join(tmpdir(), 'shannon-dashboard-readme-'));
    mkdirSync(join(dir, 'bin'));
    const real = spawnSync('bash', ['-c', 'command -v npx']).stdout.toString().trim();
    writeFileSync(
      join(dir, 'bin', 'npx'),
      `#!/bin/sh\nif [ "$1" = "shannon-data" ]; then shift; exec "${process.execPath}" --import tsx "${ROOT}src/cli/main.ts" "$@"; fi\nexec "${real}" "$@"\n`,
    );
    chmodSync(join(dir, 'bin', 'npx'), 0o755);
    env = {
      ...(process.env as Record<string, string>),
      PATH: `${join(dir, 'bin')}:${process.env['PATH']}`,
      NODE_OPTIONS: '',
      DATABASE_URL: h.t.url,
      SHANNON_DATA_DIR: join(dir, 'data'),
      SHANNON_URL: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`,
      LOG_LEVEL: 'warn',
    };
  });
  after(async () => {
    await h?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the operator key the page needs, and that key reads its data', async () => {
    const lines = readmeBlock('Dashboard');
    assert.ok(lines.some((l) => l.includes('keys create --tenant acme --operator')));
    const script = ['set -euo pipefail', ...lines, 'echo "key=$SHANNON_OPERATOR_KEY"'].join('\n');
    // Not spawnSync: the service answering curl runs in this process's event loop.
    const run = await promisify(execFile)('bash', ['-c', script], { cwd: ROOT, env, timeout: 120_000 });
    assert.match(run.stdout, /^200$/m);
    const key = /key=(sdk_\S+)/.exec(run.stdout)?.[1];
    assert.ok(key !== undefined, run.stdout);
    const doctor = await h.app.inject({
      url: '/v1/admin/doctor',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(doctor.statusCode, 200, doctor.body);
    const page = await h.app.inject({ url: '/dashboard' });
    assert.equal(page.statusCode, 200);
  });
});
