#!/usr/bin/env node
/**
 * `shannon-data` — the command-line entry point. Global flags override environment variables,
 * which override the config file (`--config` or SHANNON_DATA_CONFIG), which override defaults.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { type CliContext, createCliContext, EXIT, EXIT_STATUS_HELP, reportError } from './cli-context.js';
import { adoptCommand } from './commands/adopt.js';
import { adviseCommand } from './commands/advise.js';
import { aggregatesCommand } from './commands/aggregates.js';
import { archiveCommand } from './commands/archive.js';
import { backupCommand } from './commands/backup.js';
import { benchHttpCommand } from './commands/bench-http.js';
import { benchIngestCommand } from './commands/bench-ingest.js';
import { benchMemoryCommand } from './commands/bench-memory.js';
import { benchQueriesCommand } from './commands/bench-queries.js';
import { collectionsCommand } from './commands/collections.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { explainCommand } from './commands/explain.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { partitionsCommand } from './commands/partitions.js';
import { replicationCommand } from './commands/replication.js';
import { retentionCommand } from './commands/retention.js';
import { seedCommand } from './commands/seed.js';
import { serveCommand } from './commands/serve.js';
import { tenantsCommand } from './commands/tenants.js';
import { usersCommand } from './commands/users.js';

/** The package's version; package.json sits two levels above both src/cli and dist/cli. */
function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('shannon-data')
    .description('Shannon Data: the data layer of the Shannon agent platform')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .option('--config <file>', 'JSON config file (also SHANNON_DATA_CONFIG)')
    .option('--database-url <url>', 'PostgreSQL URL (DATABASE_URL); unset = embedded PostgreSQL')
    .option('--data-dir <dir>', 'directory for the embedded PostgreSQL, spool and indexes (SHANNON_DATA_DIR)')
    .option('--redis-url <url>', 'Redis URL (REDIS_URL)')
    .option('--qdrant-url <url>', 'Qdrant URL (QDRANT_URL); unset = embedded vector index')
    .addHelpText('after', `\n${EXIT_STATUS_HELP}`)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(migrateCommand(ctx));
  program.addCommand(serveCommand(ctx));
  program.addCommand(tenantsCommand(ctx));
  program.addCommand(keysCommand(ctx));
  program.addCommand(usersCommand(ctx));
  program.addCommand(demoCommand(ctx));
  program.addCommand(seedCommand(ctx));
  program.addCommand(collectionsCommand(ctx));
  program.addCommand(doctorCommand(ctx));
  program.addCommand(explainCommand(ctx));
  program.addCommand(adviseCommand(ctx));
  program.addCommand(partitionsCommand(ctx));
  program.addCommand(retentionCommand(ctx));
  program.addCommand(archiveCommand(ctx));
  program.addCommand(backupCommand(ctx));
  program.addCommand(aggregatesCommand(ctx));
  program.addCommand(replicationCommand(ctx));
  program.addCommand(adoptCommand(ctx));
  // `bench` groups the benchmarks; add further `.addCommand(...)` subcommands to this line's group.
  program.addCommand(
    new Command('bench')
      .description('benchmarks on the configured database')
      .addCommand(benchQueriesCommand(ctx))
      .addCommand(benchHttpCommand(ctx))
      .addCommand(benchMemoryCommand(ctx))
      .addCommand(benchIngestCommand(ctx)),
  );
  // Command modules register here, one line each.
  // addCommand copies no settings: every command throws instead of exiting, so main() decides the
  // exit status of a usage error (2) wherever it happens.
  const overrideExits = (command: Command): void => {
    command.exitOverride();
    for (const sub of command.commands) overrideExits(sub);
  };
  overrideExits(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  const ctx = createCliContext({ stdout: process.stdout, stderr: process.stderr });
  const program = buildProgram(ctx);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    // Help and --version end with 0; a wrong command, flag or argument is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.CONFIG;
    return reportError(error, json, process.stderr);
  }
}

/** True when this file is the process's entry point (directly or through the npm bin symlink). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

// Importing this module (tests walk the command tree) must not run the CLI.
if (isEntryPoint()) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`fatal: ${String(error)}\n`);
      process.exitCode = EXIT.FAILED;
    },
  );
}
