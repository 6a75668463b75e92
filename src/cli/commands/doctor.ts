/**
 * `shannon-data doctor [--threshold name=value …] [--json]`: every health check; exit 0 when clean, 1 on warnings or worse,
 * 3 when the database cannot be reached.
 * It only reads: it opens the database alone (no migration, spool, memory or write path) and, with
 * QDRANT_URL, a Qdrant client for the collection checks.
 */
import { Command } from 'commander';
import { SETTINGS } from '../../config/settings.js';
import { createVectorBackend } from '../../memory/create-backend.js';
import type { DoctorReport } from '../../ops/doctor.js';
import { doctorThresholdOverrides } from '../../ops/doctor-thresholds.js';
import { type CliContext, opsOn } from '../cli-context.js';

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
  const changed = Object.entries(report.thresholds);
  if (changed.length > 0)
    lines.push(`thresholds changed from the defaults: ${changed.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return lines.join('\n');
}

export function doctorCommand(ctx: CliContext): Command {
  return new Command('doctor')
    .description('Check the database (and vector store) for problems; exit 1 when anything needs attention')
    .option('--json', 'print the report as JSON')
    .option(
      '--threshold <name=value>',
      'override a threshold for this run (repeatable; over SHANNON_DOCTOR_THRESHOLDS and the config file key doctorThresholds)',
      (pair: string, previous: string[]) => [...previous, pair],
      [] as string[],
    )
    .action(async (options: { json?: boolean; threshold: string[] }, command: Command) => {
      const json = options.json === true;
      const config = ctx.loadConfig(command);
      // Checked before connecting: a misspelt threshold is a usage error (exit 2), whatever the database.
      doctorThresholdOverrides('SHANNON_DOCTOR_THRESHOLDS', config.doctorThresholds);
      const overrides = doctorThresholdOverrides(
        '--threshold',
        options.threshold.length === 0
          ? {}
          : SETTINGS.doctorThresholds.parse(options.threshold.join(','), '--threshold'),
      );
      const database = await ctx.openDatabase(config);
      try {
        // An unreachable database is one error saying where and what to check (exit 3), not every
        // check failing in turn on the same connection error.
        await database.db.ping();
      } catch (error) {
        await database.close().catch(() => undefined);
        throw error;
      }
      // The configured backend, as the service builds it. An embedded index is never opened here (its
      // collections read as not loaded, which the vector check passes over): loading it would read
      // every point into this process and say nothing about the serving process's copy.
      const vectors = createVectorBackend({ ...database, snapshotDir: null });
      const ops = opsOn(database, vectors);
      const progress = ctx.progress(json, 'doctor', 1);
      try {
        const report = await ops.doctor({
          thresholds: overrides,
          onCheck: (_name, i, total) => progress.update(i, total),
        });
        progress.stop();
        ctx.output(json, report, () => formatDoctorReport(report));
        process.exitCode = report.exitCode;
      } finally {
        progress.stop();
        await vectors.close();
        await database.close();
      }
    });
}
