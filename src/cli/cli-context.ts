/**
 * What every CLI command gets: configuration from flags (→ env → file → defaults), the data layer
 * or only the database (for commands that neither ingest nor touch vector memory), output that is JSON with `--json` and readable text otherwise, progress bars only on a terminal
 * and never in JSON mode, and one way to report failures with a stable code and exit status.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config/config.js';
import { createDataLayer, type DataLayer, type DataLayerOptions } from '../data-layer.js';
import { cliExitStatus, isShannonError } from '../errors/errors.js';
import { type OpenDatabaseOptions, type OpenedDatabase, openDatabase } from '../open-database.js';
import type { VectorInspector } from '../ops/doctor-vector.js';
import { createOps, type Ops } from '../ops/ops.js';
import { migrateDatabase } from '../schema/migrator.js';

export interface CliDatabaseOptions extends OpenDatabaseOptions {
  /**
   * Apply pending migrations first (default false), as the data layer would: for commands that
   * write, never for those that only diagnose.
   */
  migrate?: boolean;
}

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

export interface CliContext {
  /** Resolves the configuration from the command's flags (including the global ones). */
  loadConfig(command: Command): Config;
  /** Builds the data layer (starting the embedded PostgreSQL when no DATABASE_URL is set). */
  openDataLayer(config: Config, options?: DataLayerOptions): Promise<DataLayer>;
  /**
   * Opens only the database (starting the embedded PostgreSQL when no DATABASE_URL is set): no
   * spool, memory or write path, and no migration unless asked.
   */
  openDatabase(config: Config, options?: CliDatabaseOptions): Promise<OpenedDatabase>;
  /** Prints `data` as JSON when `json`, otherwise the human text. */
  output(json: boolean, data: unknown, human: string | (() => string)): void;
  /** A progress bar on a terminal; silent when `json` or when stderr is not a TTY. */
  progress(json: boolean, label: string, total: number): Progress;
}

/** Reads global and command flags; commander's camelCase keys are accepted by loadConfig. */
function flagsOf(command: Command): Record<string, unknown> {
  const flags = command.optsWithGlobals() as Record<string, unknown>;
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
}

export function createCliContext(io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): CliContext {
  return {
    loadConfig(command) {
      const flags = flagsOf(command);
      const file = typeof flags['config'] === 'string' ? flags['config'] : undefined;
      return loadConfig({ flags, ...(file === undefined ? {} : { file }) });
    },
    openDataLayer(config, options) {
      return createDataLayer(config, options);
    },
    async openDatabase(config, options = {}) {
      const { migrate, ...rest } = options;
      const database = await openDatabase(config, rest);
      if (migrate !== true) return database;
      try {
        await migrateDatabase(database.direct);
        return database;
      } catch (error) {
        await database.close().catch(() => undefined);
        throw error;
      }
    },
    output(json, data, human) {
      if (json) io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else io.stdout.write(`${typeof human === 'function' ? human() : human}\n`);
    },
    progress(json, label, total) {
      if (json || !io.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
      const bar = new SingleBar({
        format: `${label} [{bar}] {value}/{total} {eta_formatted}`,
        stream: io.stderr,
      });
      bar.start(total, 0);
      return {
        update(done, newTotal) {
          if (newTotal !== undefined) bar.setTotal(newTotal);
          bar.update(done);
        },
        stop: () => bar.stop(),
      };
    },
  };
}

/** The operations toolkit on an opened database; the doctor's vector checks run with `vectorBackend`. */
export function opsOn(database: OpenedDatabase, vectorBackend?: VectorInspector): Ops {
  return createOps({
    db: database.direct,
    config: database.config,
    metrics: database.metrics,
    ...(vectorBackend === undefined ? {} : { vectorBackend }),
  });
}

/**
 * The CLI's exit statuses (README, "Commands"; `shannon-data --help`): a script tells "it ran and
 * found something" from "it could not run" from "fix how you called it".
 */
export const EXIT = {
  /** It ran and everything is fine. */
  OK: 0,
  /** It ran and found something: doctor warnings, benchmark targets missed, a failed verification. */
  FINDINGS: 1,
  /** Configuration or usage: an invalid setting, flag or argument (nothing ran). */
  CONFIG: 2,
  /** It could not run: the database is unreachable, or any other error. */
  FAILED: 3,
} as const;

/** The help epilogue listing the exit statuses. */
export const EXIT_STATUS_HELP = `Exit status:
  0  ok
  1  findings: doctor warnings, benchmark targets not met, verification differences
  2  configuration or usage: an invalid setting, flag or argument
  3  could not run: the database is unreachable, or any other error`;

/** The exit status for an error a command threw (not for findings, which commands report themselves). */
export function exitStatusOf(error: unknown): number {
  return isShannonError(error) ? cliExitStatus(error.code) : EXIT.FAILED;
}

/**
 * Prints an error (JSON with `--json`) and returns the exit status: 2 for configuration or usage,
 * 3 for everything else.
 */
export function reportError(error: unknown, json: boolean, stderr: NodeJS.WriteStream): number {
  const body = isShannonError(error)
    ? error.toJSON()
    : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
  if (json) stderr.write(`${JSON.stringify({ error: body })}\n`);
  else stderr.write(`error [${body.code}]: ${body.message}\n`);
  return exitStatusOf(error);
}
