import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { createCliContext } from '../../src/cli/cli-context.js';
import { buildProgram } from '../../src/cli/main.js';
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

  it('stops with exit 3 when the database cannot be reached, naming the problem', async () => {
    const run = await runCli(['migrate', 'status'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
      PG_CONNECT_TIMEOUT_MS: '500',
    });
    assert.equal(run.code, 3);
    assert.match(
      run.stderr,
      /^error \[DB_UNAVAILABLE\]: cannot connect to PostgreSQL at 127\.0\.0\.1:1 .*ECONNREFUSED/,
    );
  });

  it('prints its version with --version and -V', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), version);
    }
  });

  it('answers --help at the top level, listing the commands', async () => {
    const root = await runCli(['--help']);
    assert.equal(root.code, 0, root.stderr);
    for (const command of ['migrate', 'serve', 'doctor', 'bench'])
      assert.match(root.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    assert.match(
      root.stdout,
      /^Exit status:\n {2}0 {2}ok\n {2}1 {2}findings.*\n {2}2 {2}configuration.*\n {2}3 {2}could not run/m,
    );
  });

  it('has a description and help text for every command and subcommand', () => {
    const program = buildProgram(createCliContext({ stdout: process.stdout, stderr: process.stderr }));
    const walk = (command: Command, path: string[]): string[] =>
      command.commands.flatMap((sub) => [
        [...path, sub.name()].join(' '),
        ...walk(sub, [...path, sub.name()]),
      ]);
    const all = walk(program, []);
    assert.ok(all.length >= 20, all.join(', '));
    const find = (path: string) =>
      path
        .split(' ')
        .reduce<Command | undefined>((c, name) => c?.commands.find((s) => s.name() === name), program);
    for (const path of all) {
      const command = find(path)!;
      assert.ok(command.description().length > 0, `${path} has no description`);
      assert.match(command.helpInformation(), /Usage:/, path);
    }
  });
});
