/**
 * The README's command table against the CLI as built (`buildProgram`): every command it lists
 * exists, every flag it shows is one the command takes, every command of the CLI is listed, and
 * every required argument and option is shown where the command is. The walk-throughs that run
 * the README's shell blocks are test/integration/server-readme.test.ts and start.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { createCliContext } from '../../src/cli/cli-context.js';
import { buildProgram } from '../../src/cli/main.js';

interface Listed {
  /** Command path, e.g. `partitions convert`. */
  path: string;
  /** The README's spelling of it, arguments and flags included. */
  usage: string;
  flags: string[];
}

/** The first column of the table under "## Commands", one entry per command it names. */
export function listedCommands(readme: string): Listed[] {
  const section = readme.slice(readme.indexOf('\n## Commands\n'));
  const table = section.slice(
    section.indexOf('| command |'),
    section.indexOf('\n\n', section.indexOf('| command |')),
  );
  const listed: Listed[] = [];
  for (const row of table.split('\n').slice(2)) {
    const first = row.split(/(?<!\\)\|/)[1] ?? '';
    const spans = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\\\|/g, '|'));
    // A span of flags only (`[--json]`) applies to every command of its row.
    const shared = spans.filter((s) => /^\[--[^\]]+\]$/.test(s.trim())).flatMap(flagsOf);
    const rowCommands: Listed[] = [];
    for (const span of spans.filter((s) => !/^\[--[^\]]+\]$/.test(s.trim()))) {
      // `partitions status|plan|maintain|convert`: alternatives of the last word of the first.
      const [head, ...rest] = span.split('|');
      const words = head!.trim().split(/\s+/);
      const parentWords = words.filter((w) => /^[a-z][a-z-]*$/.test(w));
      const parent = parentWords.slice(0, -1).join(' ');
      for (const alternative of [head!, ...rest]) {
        const names = alternative
          .trim()
          .split(/\s+/)
          .filter((w) => /^[a-z][a-z-]*$/.test(w));
        const path = alternative === head ? names.join(' ') : `${parent} ${names.join(' ')}`.trim();
        rowCommands.push({
          path,
          usage: alternative === head ? alternative : `${path} ${alternative}`,
          flags: flagsOf(alternative),
        });
      }
    }
    for (const c of rowCommands) listed.push({ ...c, flags: [...c.flags, ...shared] });
  }
  return listed;
}

function flagsOf(text: string): string[] {
  return [...text.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)].map((m) => m[1]!);
}

/** Every command of the program that runs (has no subcommands), by path. */
function leaves(command: Command, prefix = ''): Map<string, Command> {
  const out = new Map<string, Command>();
  for (const sub of command.commands) {
    const path = `${prefix}${sub.name()}`;
    if (sub.commands.length === 0) out.set(path, sub);
    else for (const [p, c] of leaves(sub, `${path} `)) out.set(p, c);
  }
  return out;
}

describe('README command table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const listed = listedCommands(readme);
  const program = buildProgram(createCliContext({ stdout: process.stdout, stderr: process.stderr }));
  const commands = leaves(program);
  const globalFlags = new Set(program.options.map((o) => o.long));

  it('parses the table (a check of the parser itself)', () => {
    const convert = listed.find((c) => c.path === 'partitions convert');
    assert.ok(convert !== undefined, JSON.stringify(listed.map((c) => c.path)));
    assert.ok(listed.some((c) => c.path === 'keys revoke' && c.flags.includes('--json')));
    assert.ok(listed.length >= commands.size, `${listed.length} listed, ${commands.size} commands`);
  });

  it('names only commands and flags the CLI has', () => {
    const problems: string[] = [];
    for (const c of listed) {
      const command = commands.get(c.path);
      if (command === undefined) {
        problems.push(`README lists "${c.path}", which the CLI does not have`);
        continue;
      }
      const own = new Set(command.options.map((o) => o.long));
      for (const flag of c.flags) {
        if (!(own.has(flag) || globalFlags.has(flag)))
          problems.push(`README shows ${flag} for "${c.path}", which it does not take`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('lists every command, with its required arguments and options', () => {
    const problems: string[] = [];
    const byPath = new Map(listed.map((c) => [c.path, c]));
    for (const [path, command] of commands) {
      const entry = byPath.get(path);
      if (entry === undefined) {
        problems.push(`"${path}" is missing from README's command table`);
        continue;
      }
      const required = command.registeredArguments.filter((a) => a.required).length;
      const placeholders = (entry.usage.match(/<[^>]+>|"<[^>]+>"/g) ?? []).length;
      if (!(placeholders >= required))
        problems.push(
          `README shows ${placeholders} of the ${required} arguments of "${path}": ${entry.usage}`,
        );
      for (const option of command.options.filter((o) => o.mandatory)) {
        if (!entry.flags.includes(option.long as string))
          problems.push(`README leaves out the required ${option.long} of "${path}"`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
