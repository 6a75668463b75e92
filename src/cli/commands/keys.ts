/** `shannon-data keys create|list|revoke [--json]`: the key itself is printed once, at creation. */
import { Command } from 'commander';
import { createApiKey, listApiKeys, revokeApiKey } from '../../auth/api-keys.js';
import { DEFAULT_SCOPES, SCOPES } from '../../auth/scopes.js';
import { getTenant } from '../../auth/tenants.js';
import { ValidationError } from '../../errors/errors.js';
import type { CliContext } from '../cli-context.js';

function parseExpiry(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const days = /^(\d+)d$/.exec(value);
  const date = days === null ? new Date(value) : new Date(Date.now() + Number(days[1]) * 86_400_000);
  if (Number.isNaN(date.getTime()))
    throw new ValidationError('expires', 'use an ISO time or a number of days like 30d');
  return date;
}

export function keysCommand(ctx: CliContext): Command {
  const keys = new Command('keys').description('Create, list and revoke API keys');
  keys
    .command('create')
    .description('Create an API key for a tenant; the key is shown once and only its digest is stored')
    .requiredOption('--tenant <slug-or-id>', 'the tenant the key acts for')
    .option('--name <name>', 'what the key is for', 'default')
    .option(
      '--scopes <list>',
      `comma-separated: ${SCOPES.filter((s) => s !== 'operator').join(', ')}`,
      DEFAULT_SCOPES.join(','),
    )
    .option(
      '--operator',
      "a platform operator key: adds the operator scope, which sees every tenant's query texts, sessions and table sizes",
    )
    .option('--expires <when>', 'ISO time or days from now (30d); default: never')
    .option('--json', 'print as JSON')
    .action(
      async (
        options: {
          tenant: string;
          name: string;
          scopes: string;
          operator?: boolean;
          expires?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const expiresAt = parseExpiry(options.expires);
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
        try {
          const tenant = await getTenant(database.db, options.tenant);
          const created = await createApiKey(database.db, {
            tenantId: tenant.id,
            name: options.name,
            scopes: options.scopes
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== ''),
            operator: options.operator === true,
            ...(expiresAt === undefined ? {} : { expiresAt }),
          });
          ctx.output(options.json === true, created, () =>
            [
              created.key,
              `key ${created.prefix} for tenant ${tenant.slug}; scopes ${created.scopes.join(', ')}`,
              'store it now: it is not shown again',
            ].join('\n'),
          );
        } finally {
          await database.close();
        }
      },
    );
  keys
    .command('list')
    .description('List the keys of a tenant (prefix, scopes, state; never the key)')
    .requiredOption('--tenant <slug-or-id>', 'the tenant')
    .option('--json', 'print as JSON')
    .action(async (options: { tenant: string; json?: boolean }, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      try {
        const tenant = await getTenant(database.db, options.tenant);
        const all = await listApiKeys(database.db, tenant.id);
        ctx.output(options.json === true, { tenant: tenant.slug, keys: all }, () =>
          all.length === 0
            ? 'no keys'
            : all
                .map(
                  (k) =>
                    `${k.prefix}  ${k.id}  ${k.isActive ? 'active ' : 'revoked'}  ${k.scopes.join(',')}  ${k.name}${k.expiresAt ? `  expires ${k.expiresAt}` : ''}`,
                )
                .join('\n'),
        );
      } finally {
        await database.close();
      }
    });
  keys
    .command('revoke <prefix-or-id>')
    .description('Revoke a key; its next request gets 401')
    .option('--json', 'print as JSON')
    .action(async (idOrPrefix: string, options: { json?: boolean }, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
      try {
        const revoked = await revokeApiKey(database.db, idOrPrefix);
        ctx.output(options.json === true, revoked, `revoked key ${revoked.prefix} (${revoked.id})`);
      } finally {
        await database.close();
      }
    });
  return keys;
}
