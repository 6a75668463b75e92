/**
 * `shannon-data adopt shannon`: converts a database migrated by Shannon's own migrations into
 * Shannon Data's schema in place, keeping every row (src/ops/adopt-shannon.ts,
 * docs/shannon-compat.md). A dry run unless `--apply`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { type AdoptReport, adoptShannon, bindLegacyRole } from '../../ops/adopt-shannon.js';
import { type CliContext, EXIT } from '../cli-context.js';

function batchOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new InvalidArgumentError('must be an integer from 1 to 1000000');
  return n;
}

export function formatAdoptReport(r: AdoptReport): string {
  const lines = [
    r.applied
      ? `adopted (${r.migrationsApplied} migrations applied); default tenant ${r.defaultTenant.id} (${r.defaultTenant.source})`
      : `dry run: the database is ${r.state === 'shannon' ? "Shannon's" : `${r.state.replace('_', ' ')}`}; default tenant ${r.defaultTenant.id ?? '(new)'} (${r.defaultTenant.source}); run with --apply to adopt`,
  ];
  for (const t of r.tables) {
    const check =
      t.match === null
        ? ''
        : t.match
          ? `  checksum ${t.adoptedChecksum} ok`
          : `  MISMATCH ${t.shannonChecksum} ≠ ${t.adoptedChecksum}`;
    lines.push(
      `  ${t.target.padEnd(32)} ${String(t.shannonRows).padStart(9)} Shannon rows ${String(t.adoptedRows).padStart(9)} adopted${check}`,
    );
  }
  lines.push(
    `  usage_daily_aggregates: ${r.aggregates.shannonRows} Shannon rows, ${r.aggregates.rebuiltRows ?? '—'} rebuilt from task_executions`,
  );
  if (r.legacyRole !== null && r.applied)
    lines.push(`  role ${r.legacyRole} bound to tenant ${r.defaultTenant.id}`);
  return lines.join('\n');
}

export function adoptCommand(ctx: CliContext): Command {
  const adopt = new Command('adopt').description('Bring an existing database over to Shannon Data');
  adopt
    .command('shannon')
    .description(
      "Convert a database migrated by Shannon's own migrations in place, keeping every row (dry run unless --apply)",
    )
    .option('--apply', 'act (move Shannon tables aside, migrate, copy, verify); resumes a stopped run')
    .option(
      '--default-tenant <id>',
      "tenant for rows without one (default: Shannon's only tenant, or a new one)",
    )
    .option('--legacy-role <role>', "bind this role (Shannon's services') to the default tenant")
    .option(
      '--unique-external-ids',
      "with --legacy-role: users' external ids unique across tenants (Shannon's upsert target)",
    )
    .option('--batch <rows>', 'rows per copy transaction', batchOption, 5_000)
    .option('--json', 'print as JSON')
    .action(
      async (
        options: {
          apply?: boolean;
          defaultTenant?: string;
          legacyRole?: string;
          uniqueExternalIds?: boolean;
          batch: number;
          json?: boolean;
        },
        command: Command,
      ) => {
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: false });
        try {
          const report = await adoptShannon(database.direct, {
            apply: options.apply === true,
            batchSize: options.batch,
            ...(options.defaultTenant === undefined ? {} : { defaultTenant: options.defaultTenant }),
            ...(options.legacyRole === undefined ? {} : { legacyRole: options.legacyRole }),
            uniqueExternalIds: options.uniqueExternalIds === true,
            onProgress: options.json === true ? undefined : (line) => process.stderr.write(`${line}\n`),
          });
          ctx.output(options.json === true, report, () => formatAdoptReport(report));
          process.exitCode = EXIT.OK;
        } finally {
          await database.close();
        }
      },
    );
  adopt
    .command('legacy-role <role>')
    .description(
      "Let a role Shannon's services connect as write with Shannon's own statements: rows without a tenant get --tenant",
    )
    .requiredOption('--tenant <id>', 'tenant for rows Shannon writes without one')
    .option('--unique-external-ids', "users' external ids unique across tenants (Shannon's upsert target)")
    .option('--json', 'print as JSON')
    .action(
      async (
        role: string,
        options: { tenant: string; uniqueExternalIds?: boolean; json?: boolean },
        command: Command,
      ) => {
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
        try {
          await bindLegacyRole(database.direct, role, options.tenant, {
            uniqueExternalIds: options.uniqueExternalIds === true,
          });
          ctx.output(
            options.json === true,
            { role, tenant: options.tenant, uniqueExternalIds: options.uniqueExternalIds === true },
            `role ${role} writes as a trusted Shannon writer; rows without a tenant get ${options.tenant}`,
          );
        } finally {
          await database.close();
        }
      },
    );
  return adopt;
}
