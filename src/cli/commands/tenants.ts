/** `shannon-data tenants create <slug> | update <slug-or-id> | list [--json]`. */
import { Command } from 'commander';
import {
  createTenant,
  listTenants,
  TENANT_PLANS,
  type TenantPlan,
  updateTenant,
} from '../../auth/tenants.js';
import type { CliContext } from '../cli-context.js';

export function tenantsCommand(ctx: CliContext): Command {
  const tenants = new Command('tenants').description('Create, update and list tenants');
  tenants
    .command('create <slug>')
    .description('Create a tenant (then give it a key with `keys create --tenant <slug>`)')
    .option('--name <name>', 'display name (default: the slug)')
    .option('--plan <plan>', `plan: ${TENANT_PLANS.join(', ')}`, 'free')
    .option('--rate-limit-per-hour <n>', 'requests per hour for the whole tenant (default: by plan)')
    .option('--json', 'print as JSON')
    .action(
      async (
        slug: string,
        options: { name?: string; plan: string; rateLimitPerHour?: string; json?: boolean },
        command: Command,
      ) => {
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
        try {
          const tenant = await createTenant(database.db, {
            slug,
            plan: options.plan as TenantPlan,
            ...(options.name === undefined ? {} : { name: options.name }),
            ...(options.rateLimitPerHour === undefined
              ? {}
              : { rateLimitPerHour: Number(options.rateLimitPerHour) }),
          });
          ctx.output(
            options.json === true,
            tenant,
            `created tenant ${tenant.slug} (${tenant.id}), plan ${tenant.plan}, ${tenant.rateLimitPerHour} requests/hour`,
          );
        } finally {
          await database.close();
        }
      },
    );
  tenants
    .command('update <slug-or-id>')
    .description("Change a tenant's plan and/or request limit (the limit is kept unless given)")
    .option('--plan <plan>', `plan: ${TENANT_PLANS.join(', ')}`)
    .option('--rate-limit <n>', 'requests per hour for the whole tenant')
    .option('--json', 'print as JSON')
    .action(
      async (
        slugOrId: string,
        options: { plan?: string; rateLimit?: string; json?: boolean },
        command: Command,
      ) => {
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
        try {
          const tenant = await updateTenant(database.db, slugOrId, {
            ...(options.plan === undefined ? {} : { plan: options.plan as TenantPlan }),
            ...(options.rateLimit === undefined ? {} : { rateLimitPerHour: Number(options.rateLimit) }),
          });
          ctx.output(
            options.json === true,
            tenant,
            `updated tenant ${tenant.slug}: plan ${tenant.plan}, ${tenant.rateLimitPerHour} requests/hour`,
          );
        } finally {
          await database.close();
        }
      },
    );
  tenants
    .command('list')
    .description('List tenants')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      try {
        const all = await listTenants(database.db);
        ctx.output(options.json === true, { tenants: all }, () =>
          all.length === 0
            ? 'no tenants'
            : all
                .map(
                  (t) =>
                    `${t.slug.padEnd(24)} ${t.id}  ${t.plan}  ${t.rateLimitPerHour}/h${t.isActive ? '' : '  (inactive)'}`,
                )
                .join('\n'),
        );
      } finally {
        await database.close();
      }
    });
  return tenants;
}
