/** Runs the CLI from source in a child process, as a user would run the installed binary. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const CLI_ENTRY = join(import.meta.dirname, '../../src/cli/main.ts');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
      env: { ...process.env, NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The same, synchronously (for a test that runs commands one after another). */
export function runCliSync(
  args: string[],
  env: Record<string, string | undefined> = {},
): { status: number | null; out: string; err: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    env: { ...process.env, NODE_ENV: 'test', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, out: run.stdout, err: run.stderr };
}
