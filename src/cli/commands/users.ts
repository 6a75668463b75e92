/** `shannon-data users create | list | deactivate --tenant <slug-or-id> [--json]`. */
import { Command } from 'commander';
import { getTenant } from '../../auth/tenants.js';
import { ShannonError, ValidationError } from '../../errors/errors.js';
import { MAX_PAGE_LIMIT } from '../../stores/keyset.js';
import { type User, UserStore } from '../../stores/user-store.js';
import { isUuid } from '../../validation/checks.js';
import type { CliContext } from '../cli-context.js';

function parseMetadata(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as Record<string, unknown>;
  } catch {
    throw new ValidationError('metadata', '--metadata must be a JSON object');
  }
}

function describeUser(u: User): string {
  return `${u.externalId.padEnd(24)} ${u.id}  ${u.email ?? '-'}${u.active ? '' : '  (deactivated)'}`;
}

export function usersCommand(ctx: CliContext): Command {
  const users = new Command('users').description('Create, list and deactivate the users of a tenant');
  users
    .command('create')
    .description('Create a user; records name it by the printed id (`user_id`)')
    .requiredOption('--tenant <slug-or-id>', 'the tenant of the user')
    .requiredOption('--external-id <id>', "the caller's string id of the user, unique in the tenant")
    .option('--email <email>', 'e-mail address')
    .option('--metadata <json>', 'a JSON object kept with the user')
    .option('--json', 'print as JSON')
    .action(
      async (
        options: { tenant: string; externalId: string; email?: string; metadata?: string; json?: boolean },
        command: Command,
      ) => {
        const metadata = parseMetadata(options.metadata);
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
        try {
          const tenant = await getTenant(database.db, options.tenant);
          const user = await new UserStore(database.db).create(tenant.id, {
            externalId: options.externalId,
            ...(options.email === undefined ? {} : { email: options.email }),
            ...(metadata === undefined ? {} : { metadata }),
          });
          ctx.output(
            options.json === true,
            user,
            `created user ${user.externalId} (${user.id}) in ${tenant.slug}`,
          );
        } finally {
          await database.close();
        }
      },
    );
  users
    .command('list')
    .description('List the users of a tenant, newest first')
    .requiredOption('--tenant <slug-or-id>', 'the tenant')
    .option('--limit <n>', 'at most this many users', '1000')
    .option('--json', 'print as JSON')
    .action(async (options: { tenant: string; limit: string; json?: boolean }, command: Command) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new ValidationError('limit', '--limit must be a positive integer');
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      try {
        const tenant = await getTenant(database.db, options.tenant);
        const store = new UserStore(database.db);
        const all: User[] = [];
        let cursor: string | null = null;
        do {
          const page = await store.list(tenant.id, {
            limit: Math.min(MAX_PAGE_LIMIT, limit - all.length),
            cursor,
          });
          all.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor !== null && all.length < limit);
        ctx.output(options.json === true, { users: all }, () =>
          all.length === 0 ? 'no users' : all.map(describeUser).join('\n'),
        );
      } finally {
        await database.close();
      }
    });
  users
    .command('deactivate <user>')
    .description('Deactivate a user, named by its id or its external id; its records stay')
    .requiredOption('--tenant <slug-or-id>', 'the tenant of the user')
    .option('--json', 'print as JSON')
    .action(async (user: string, options: { tenant: string; json?: boolean }, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
      try {
        const tenant = await getTenant(database.db, options.tenant);
        const store = new UserStore(database.db);
        const found = isUuid(user) ? await store.getById(tenant.id, user) : null;
        const target = found ?? (await store.findByExternalId(tenant.id, user));
        const done = target === null ? null : await store.deactivate(tenant.id, target.id);
        if (done === null)
          throw new ShannonError('NOT_FOUND', `no user ${user} in ${tenant.slug}`, { field: 'user' });
        ctx.output(options.json === true, done, `deactivated user ${done.externalId} (${done.id})`);
      } finally {
        await database.close();
      }
    });
  return users;
}
