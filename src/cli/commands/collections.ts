/**
 * `shannon-data collections init | status | reconcile [--repair] | rebuild <collection>` — vector
 * collections: create missing ones and their payload indexes, show points / indexed vectors /
 * payload indexes / drift, compare PostgreSQL with the index, rebuild an index from PostgreSQL.
 */
import { Command } from 'commander';
import type { DataLayer } from '../../data-layer.js';
import { ValidationError } from '../../errors/errors.js';
import { COLLECTION_NAMES, type CollectionName, isCollectionName } from '../../memory/collections.js';
import type { CliContext } from '../cli-context.js';

function collectionArg(raw: string | undefined): CollectionName | undefined {
  if (raw === undefined) return undefined;
  if (!isCollectionName(raw))
    throw new ValidationError('collection', `must be one of ${COLLECTION_NAMES.join(', ')}`);
  return raw;
}

async function withLayer<T>(
  ctx: CliContext,
  command: Command,
  fn: (layer: DataLayer) => Promise<T>,
): Promise<T> {
  const layer = await ctx.openDataLayer(ctx.loadConfig(command));
  try {
    return await fn(layer);
  } finally {
    await layer.close();
  }
}

export function collectionsCommand(ctx: CliContext): Command {
  const collections = new Command('collections').description(
    'Vector collections: init, status, reconcile, rebuild',
  );

  collections
    .command('init')
    .description('Create missing collections and add missing payload indexes to existing ones')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withLayer(ctx, command, async (layer) => {
        const results = await layer.memory.bootstrap();
        ctx.output(options.json === true, { backend: layer.memory.describe().backend, results }, () =>
          results
            .map(
              (r) =>
                `${r.collection}: ${r.created ? 'created' : 'exists'}` +
                (r.addedPayloadIndexes.length > 0
                  ? `, added payload indexes ${r.addedPayloadIndexes.join(', ')}`
                  : ''),
            )
            .join('\n'),
        );
      });
    });

  collections
    .command('status')
    .description('Points, indexed vectors, payload indexes and drift per collection; outbox depth and lag')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withLayer(ctx, command, async (layer) => {
        const status = await layer.memory.status();
        ctx.output(options.json === true, status, () =>
          [
            `backend ${status.backend}; outbox depth ${status.outbox.depth}, lag ${status.outbox.lagSeconds.toFixed(1)} s`,
            ...status.collections.map(
              (c) =>
                `${c.collection} (v${c.version} ${c.physicalName}, ${c.dimension}-d): ${c.sourcePoints} points in PostgreSQL, ` +
                `${c.index.points} in the index (${c.index.indexedVectors} indexed), status ${c.index.status}` +
                (c.index.cluster === undefined
                  ? ''
                  : `; ${c.index.cluster.shardNumber} shard(s)${c.index.cluster.shardKeys === undefined ? '' : ` per key of ${c.index.cluster.shardKeys.join(', ')}`} × ${c.index.cluster.replicationFactor} replica(s), writes wait for ${c.index.cluster.writeConsistencyFactor}`) +
                (c.index.missingPayloadIndexes.length > 0
                  ? `; MISSING payload indexes ${c.index.missingPayloadIndexes.join(', ')}`
                  : '') +
                (c.index.drift.length > 0 ? `; DRIFT ${c.index.drift.join(', ')}` : ''),
            ),
          ].join('\n'),
        );
        const unhealthy = status.collections.some(
          (c) => c.index.missingPayloadIndexes.length > 0 || c.index.drift.length > 0,
        );
        if (unhealthy) process.exitCode = 1;
      });
    });

  collections
    .command('reconcile [collection]')
    .description('Find points missing from the index, orphans and stale versions; --repair fixes them')
    .option('--repair', 're-deliver missing/stale points through the outbox and delete orphans')
    .option('--json', 'print as JSON')
    .action(
      async (name: string | undefined, options: { repair?: boolean; json?: boolean }, command: Command) => {
        const collection = collectionArg(name);
        await withLayer(ctx, command, async (layer) => {
          const reports = await layer.memory.reconcile(collection, { repair: options.repair === true });
          ctx.output(options.json === true, reports, () =>
            reports
              .map(
                (r) =>
                  `${r.collection}: ${r.sourcePoints} in PostgreSQL, ${r.missing} missing, ${r.orphans} orphans, ${r.stale} stale` +
                  (r.repaired ? ' — repaired' : ''),
              )
              .join('\n'),
          );
          if (!options.repair && reports.some((r) => r.missing + r.orphans + r.stale > 0))
            process.exitCode = 1;
        });
      },
    );

  collections
    .command('rebuild <collection>')
    .description('Drop and recreate the index of a collection from the points in PostgreSQL')
    .option('--json', 'print as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const collection = collectionArg(name) as CollectionName;
      await withLayer(ctx, command, async (layer) => {
        const results = await layer.memory.rebuild(collection);
        ctx.output(options.json === true, results, () =>
          results.map((r) => `${r.collection}: rebuilt with ${r.points} points`).join('\n'),
        );
      });
    });

  return collections;
}
