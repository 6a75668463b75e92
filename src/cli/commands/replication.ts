/**
 * `shannon-data replication publish|status`: logical replication of the durable tables to another
 * PostgreSQL (docs/scaling.md). `publish` creates or updates the publication; `status` shows it,
 * the tables it misses and each subscriber's slot and lag, and exits 1 when a table is missing or
 * a subscriber's slot is inactive.
 */
import { Command } from 'commander';
import { DEFAULT_PUBLICATION, type ReplicationStatus } from '../../ops/replication.js';
import { type CliContext, EXIT, opsOn } from '../cli-context.js';

export function formatReplicationStatus(s: ReplicationStatus): string {
  const lines = [
    `wal_level ${s.walLevel}; publication ${s.publication}: ${s.exists ? `${s.tables.length} tables` : 'missing (run replication publish)'}`,
  ];
  if (s.missingTables.length > 0)
    lines.push(`  not published: ${s.missingTables.join(', ')} (run replication publish)`);
  if (s.subscribers.length === 0) lines.push('  no subscriber');
  for (const sub of s.subscribers) {
    lines.push(
      `  slot ${sub.slot}: ${sub.active ? 'active' : 'INACTIVE'}, ${sub.lagBytes ?? '?'} bytes behind` +
        (sub.clientAddr === null
          ? ''
          : ` (${sub.applicationName ?? ''} ${sub.clientAddr}, ${sub.state ?? ''})`),
    );
  }
  return lines.join('\n');
}

export function replicationCommand(ctx: CliContext): Command {
  const replication = new Command('replication').description(
    'Logical replication of the durable tables to another PostgreSQL',
  );
  replication
    .command('publish')
    .description('Create the publication of the durable tables, or set an existing one to the current tables')
    .option('--publication <name>', 'publication name', DEFAULT_PUBLICATION)
    .option('--json', 'print as JSON')
    .action(async (options: { publication: string; json?: boolean }, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
      try {
        const result = await opsOn(database).publish({ publication: options.publication });
        ctx.output(
          options.json === true,
          result,
          `publication ${result.publication} ${result.created ? 'created' : 'updated'}: ${result.tables.length} tables`,
        );
      } finally {
        await database.close();
      }
    });
  replication
    .command('status')
    .description(
      "The publication, tables it misses, and each subscriber's slot and lag (exit 1 on a problem)",
    )
    .option('--publication <name>', 'publication name', DEFAULT_PUBLICATION)
    .option('--json', 'print as JSON')
    .action(async (options: { publication: string; json?: boolean }, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      try {
        const status = await opsOn(database).replicationStatus({ publication: options.publication });
        ctx.output(options.json === true, status, () => formatReplicationStatus(status));
        const problem =
          !status.exists || status.missingTables.length > 0 || status.subscribers.some((s) => !s.active);
        if (problem) process.exitCode = EXIT.FINDINGS;
      } finally {
        await database.close();
      }
    });
  return replication;
}
