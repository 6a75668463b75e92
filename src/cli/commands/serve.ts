/**
 * `shannon-data serve`: starts the data layer (the embedded PostgreSQL when no DATABASE_URL is set),
 * applies migrations and serves the HTTP API. On SIGTERM or SIGINT it stops accepting connections,
 * finishes in-flight requests, closes the data layer (the write path drains or spools) and exits 0.
 */
import { Command } from 'commander';
import { createServer } from '../../server/create-server.js';
import type { CliContext } from '../cli-context.js';

/** Longest wait for in-flight requests and the data layer to finish after SIGTERM. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 25_000;
/** Pending connections the kernel keeps for the service (capped by net.core.somaxconn). */
export const LISTEN_BACKLOG = 4_096;

export function serveCommand(ctx: CliContext): Command {
  return new Command('serve')
    .description('Run the HTTP API (embedded PostgreSQL unless DATABASE_URL is set)')
    .option('--port <port>', 'port to listen on (PORT, default 8080)')
    .option('--host <host>', 'address to listen on (HOST, default 127.0.0.1)')
    .option('--log-level <level>', 'debug, info, warn, error or silent (LOG_LEVEL)')
    .action(async (_options: unknown, command: Command) => {
      const config = ctx.loadConfig(command);
      const dataLayer = await ctx.openDataLayer(config);
      const app = await createServer(dataLayer);
      // Collection bootstrap, index catch-up and the outbox relay start now rather than on the
      // first memory call, so writes left in the outbox by the previous run are delivered. A
      // failure (Qdrant down) is logged; memory calls retry the initialisation themselves.
      dataLayer.memory.init().catch((error: unknown) => {
        app.log.warn({ err: error }, 'vector memory initialisation failed; retried on first use');
      });
      let stopping: Promise<void> | undefined;
      const stop = (signal: string) => {
        stopping ??= (async () => {
          app.log.info({ signal }, 'shutting down: finishing in-flight requests');
          const force = setTimeout(() => {
            app.log.error('shutdown grace expired; exiting');
            process.exit(1);
          }, DEFAULT_SHUTDOWN_GRACE_MS);
          force.unref();
          try {
            await app.close();
            await dataLayer.close();
          } finally {
            clearTimeout(force);
          }
          app.log.info('stopped');
        })();
        return stopping;
      };
      const stopped = new Promise<void>((resolve, reject) => {
        for (const signal of ['SIGTERM', 'SIGINT'] as const) {
          process.once(signal, () => stop(signal).then(resolve, reject));
        }
      });
      try {
        // Under overload, connections wait in the listen backlog until the event loop accepts them;
        // Node's default of 511 overflows, and a dropped SYN is retried by the client only after
        // 1, 3, 7 s. 4,096 (Linux's usual somaxconn, which caps it) keeps refusals fast.
        await app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
      } catch (error) {
        await dataLayer.close().catch(() => undefined);
        throw error;
      }
      await stopped;
    });
}
