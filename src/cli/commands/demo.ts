/**
 * `shannon-data demo [--url URL] [--key KEY] [--tasks N] [--json]`: drives a running service with a
 * synthetic workload (sessions, tasks, agents, tools, events, token usage, memory) and reads it back.
 * The key comes from --key or SHANNON_API_KEY; the URL from --url, SHANNON_URL or PORT.
 */
import { Command } from 'commander';
import type { DemoSummary } from '../../devtools/demo/demo-workload.js';
import { DEFAULT_DEMO_TASKS } from '../../devtools/devtools-defaults.js';
import { ValidationError } from '../../errors/errors.js';
import type { CliContext } from '../cli-context.js';

function describe(s: DemoSummary): string {
  return [
    `demo run ${s.run}: ${s.tasks} tasks in ${s.elapsedMs} ms`,
    `records written: ${Object.entries(s.records)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `memory points: ${s.memoryPoints}; tasks listed: ${s.listedTasks}; usage report rows: ${s.usageRows}`,
    s.searchTopHit === null
      ? 'memory search: no hit yet (the index is still catching up)'
      : `memory search top hit: "${String(s.searchTopHit.query)}" (score ${s.searchTopHit.score.toFixed(3)})`,
  ].join('\n');
}

export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description('Drive the running service with a realistic synthetic workload, then read it back')
    .option('--url <url>', 'service URL (SHANNON_URL; default http://127.0.0.1:$PORT)')
    .option('--key <key>', 'API key (SHANNON_API_KEY)')
    .option('--tasks <n>', 'tasks to simulate', String(DEFAULT_DEMO_TASKS))
    .option('--json', 'print the summary as JSON')
    .action(async (options: { url?: string; key?: string; tasks: string; json?: boolean }) => {
      const apiKey = options.key ?? process.env['SHANNON_API_KEY'];
      if (apiKey === undefined || apiKey === '') {
        throw new ValidationError(
          'key',
          'give an API key with --key or SHANNON_API_KEY (create one with `shannon-data keys create`)',
        );
      }
      const tasks = Number(options.tasks);
      if (!Number.isInteger(tasks) || tasks < 1 || tasks > 10_000)
        throw new ValidationError('tasks', '--tasks must be between 1 and 10000');
      const url =
        options.url ?? process.env['SHANNON_URL'] ?? `http://127.0.0.1:${process.env['PORT'] ?? '8080'}`;
      const json = options.json === true;
      // Loaded here, not at start-up: the demo workload is a development tool.
      const { runDemo } = await import('../../devtools/demo/demo-workload.js');
      const summary = await runDemo({
        url,
        apiKey,
        tasks,
        ...(json ? {} : { onProgress: (step: string) => process.stderr.write(`${step}\n`) }),
      });
      ctx.output(json, summary, () => describe(summary));
    });
}
