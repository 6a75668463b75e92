import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

describe('shannon-data CLI', () => {
  it('stops with exit 2 and names the setting when a value is invalid', async () => {
    const run = await runCli(['migrate', 'status'], { PG_POOL_MAX: 'lots' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /PG_POOL_MAX/);
    const json = await runCli(['migrate', 'status', '--json'], { DATABASE_URL: 'mysql://nope' });
    assert.equal(json.code, 2);
    const body = JSON.parse(json.stderr) as { error: { code: string; field: string } };
    assert.equal(body.error.code, 'CONFIG_INVALID');
    assert.equal(body.error.field, 'DATABASE_URL');
  });

  it('stops with a non-zero exit when the database cannot be reached, naming the problem', async () => {
    const run = await runCli(['migrate', 'status'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      PG_CONNECT_TIMEOUT_MS: '500',
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ECONNREFUSED|DB_UNAVAILABLE/);
  });

  it('answers --help for every command', async () => {
    const root = await runCli(['--help']);
    assert.equal(root.code, 0, root.stderr);
    const commands = [...root.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    assert.ok(commands.includes('migrate'), root.stdout);
    for (const command of commands) {
      const help = await runCli([command, '--help']);
      assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
      assert.match(help.stdout, /Usage:/);
    }
  });
});
