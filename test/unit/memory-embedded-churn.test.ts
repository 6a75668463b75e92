/**
 * Points added and deleted over and over (a session's short-lived memories) must not hang the
 * embedded index: usearch 2.25's remove() could loop forever on a small index after a few dozen
 * rounds, freezing every request of the process. Run in a child process, killed past a deadline.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

test('2,000 rounds of adding and deleting points finish', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/embedded-churn-child.ts', '2000'], {
    cwd: new URL('../../', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  // Generous: the loop takes well under a second; the deadline only turns a hang into a failure.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(killer);
  assert.equal(code, 0, `the churn did not finish (killed: ${code === null}); output: ${out}`);
  assert.match(out, /rounds 2000 done/);
});
