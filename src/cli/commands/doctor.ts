/**
 * `shannon-data doctor [--json]`: every health check; exit 0 when clean, 1 on warnings or worse.
 * It only reads: it opens the database alone (no migration, spool, memory or write path) and, with
 * QDRANT_URL, a Qdrant client for the collection checks.
 */
import { Command } from 'commander';
import type { Config } from '../../config/config.js';
import type { CollectionDefinition } from '../../memory/collections.js';
import { QdrantBackend } from '../../memory/qdrant/qdrant-backend.js';
import type { Metrics } from '../../observability/metrics.js';
import type { DoctorReport } from '../../ops/doctor.js';
import type { VectorInspector } from '../../ops/doctor-vector.js';
import { type CliContext, opsOn } from '../cli-context.js';

/**
 * The embedded index lives in the serving process and is built from PostgreSQL on demand; loading
 * it here would read every point into this process to say nothing about the server's copy. So
 * every collection reads as not loaded, which the vector check passes over (what the data layer's
 * unloaded embedded backend reported here before); the check still runs and lists the registry.
 */
const EMBEDDED_NOT_LOADED: VectorInspector = {
  kind: 'embedded',
  describe: async (physical: string, definition: CollectionDefinition) => ({
    collection: physical,
    exists: false,
    points: 0,
    indexedVectors: 0,
    status: 'missing',
    payloadIndexes: [],
    missingPayloadIndexes: definition.payloadIndexes.map((p) => p.field),
    drift: [],
  }),
};

/** What the doctor inspects the vector collections with: Qdrant when configured, else nothing loaded. */
function vectorInspector(config: Config, metrics: Metrics): VectorInspector {
  if (config.qdrantUrl === undefined) return EMBEDDED_NOT_LOADED;
  return new QdrantBackend({ url: config.qdrantUrl, apiKey: config.qdrantApiKey, metrics });
}

/** Human rendering: one line per finding, its evidence and its fix. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = [
    `doctor: ${report.summary.critical} critical, ${report.summary.warning} warning, ${report.summary.info} info (${report.checks.length} checks)`,
  ];
  for (const f of report.findings) {
    const evidence = Object.entries(f.evidence)
      .filter(([k]) => k !== 'query' && k !== 'definition')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(`${f.severity.toUpperCase().padEnd(8)} ${f.code.padEnd(28)} ${f.object}`);
    if (evidence !== '') lines.push(`         ${evidence}`);
    if (typeof f.evidence['query'] === 'string')
      lines.push(`         query: ${String(f.evidence['query']).slice(0, 160)}`);
    lines.push(`         fix: ${f.fix}`);
  }
  for (const c of report.checks.filter((x) => x.error !== null))
    lines.push(`ERROR    check ${c.name} failed: ${c.error}`);
  return lines.join('\n');
}

export function doctorCommand(ctx: CliContext): Command {
  return new Command('doctor')
    .description('Check the database (and vector store) for problems; exit 1 when anything needs attention')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const json = options.json === true;
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      const ops = opsOn(database, vectorInspector(database.config, database.metrics));
      const progress = ctx.progress(json, 'doctor', 1);
      try {
        const report = await ops.doctor({
          onCheck: (_name, i, total) => progress.update(i, total),
        });
        progress.stop();
        ctx.output(json, report, () => formatDoctorReport(report));
        process.exitCode = report.exitCode;
      } finally {
        progress.stop();
        await database.close();
      }
    });
}
