/**
 * The rows of the write-path benchmark (src/devtools/bench/ingest-benchmark.ts) and the ways it
 * writes them without the write path: raw COPY, batches spread over several connections, the
 * unnest upsert's parameters. Generated values contain no tab, newline or backslash, so they go
 * into text-format COPY unescaped.
 */
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { RecordOf } from '../../ingest/record-schemas.js';

const COPY_ROWS_PER_STATEMENT = 10_000;
/** Rows per batch of the batched phases and of the write path's writeBatch calls. */
export const BATCH_ROWS = 1_000;
/** The public.event_logs columns every phase writes, in COPY and INSERT order. */
export const COLUMNS =
  'tenant_id, idempotency_key, workflow_id, type, agent_id, message, payload, "timestamp", seq, created_at';

/** One generated public.event_logs row. */
export interface Row {
  tenant: string;
  key: string;
  workflow: string;
  type: string;
  agent: string;
  message: string;
  payload: string;
  at: string;
  seq: number;
}

export function makeRows(tenant: string, n: number): Row[] {
  const at = new Date().toISOString();
  const words = 'plan search read summarise answer verify tool agent result step'.split(' ');
  return Array.from({ length: n }, (_, i) => ({
    tenant,
    key: `bench-${i}-${randomUUID().slice(0, 8)}`,
    workflow: `wf-${i % 5_000}`,
    type: i % 7 === 0 ? 'LLM_OUTPUT' : 'AGENT_STEP',
    agent: `agent-${i % 20}`,
    message: Array.from({ length: 24 }, (_, j) => words[(i + j) % words.length]).join(' '),
    payload: JSON.stringify({ step: i % 50, tokens: i % 900, tool: words[i % words.length] }),
    at,
    seq: i + 1,
  }));
}

export function copyLine(r: Row): string {
  // Text-format COPY: the generated values contain no tab, newline or backslash.
  return `${r.tenant}\t${r.key}\t${r.workflow}\t${r.type}\t${r.agent}\t${r.message}\t${r.payload}\t${r.at}\t${r.seq}\t${r.at}\n`;
}

export async function copyRows(client: pg.PoolClient, table: string, rows: readonly Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += COPY_ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + COPY_ROWS_PER_STATEMENT);
    const stream = client.query(copyFrom(`COPY ${table} (${COLUMNS}) FROM STDIN`));
    const lines: string[] = [];
    for (let j = 0; j < chunk.length; j += 500)
      lines.push(
        chunk
          .slice(j, j + 500)
          .map(copyLine)
          .join(''),
      );
    await pipeline(async function* () {
      yield* lines;
    }, stream);
  }
}

export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** Runs `fn` on `n` clients checked out of `pool`, released afterwards. */
export async function withClients<T>(
  pool: pg.Pool,
  n: number,
  fn: (clients: pg.PoolClient[]) => Promise<T>,
): Promise<T> {
  const clients: pg.PoolClient[] = [];
  try {
    for (let i = 0; i < n; i += 1) clients.push(await pool.connect());
    return await fn(clients);
  } finally {
    for (const c of clients) c.release();
  }
}

export function halves<T>(items: readonly T[], n: number): T[][] {
  const size = Math.ceil(items.length / n);
  return Array.from({ length: n }, (_, i) => items.slice(i * size, (i + 1) * size));
}

export function unnestParams(rows: readonly Row[]): unknown[] {
  // Same parameter order as INSERT_STATEMENTS.event_log: tenant, key, then its columns.
  return [
    rows.map((r) => r.tenant),
    rows.map((r) => r.key),
    rows.map((r) => r.workflow),
    rows.map((r) => r.type),
    rows.map(() => null),
    rows.map((r) => r.agent),
    rows.map((r) => r.message),
    rows.map((r) => r.payload),
    rows.map((r) => r.at),
    rows.map((r) => r.seq),
    rows.map(() => null),
    rows.map((r) => r.at),
  ];
}

export async function batched(
  clients: pg.PoolClient[],
  rows: readonly Row[],
  write: (c: pg.PoolClient, b: Row[]) => Promise<void>,
) {
  await Promise.all(
    halves(rows, clients.length).map(async (part, i) => {
      for (let j = 0; j < part.length; j += BATCH_ROWS)
        await write(clients[i]!, part.slice(j, j + BATCH_ROWS));
    }),
  );
}

/** A generated row as the write path's input record. */
export function eventRecord(r: Row): RecordOf<'event_log'> {
  return {
    tenant_id: r.tenant,
    idempotency_key: r.key,
    workflow_id: r.workflow,
    type: r.type,
    agent_id: r.agent,
    message: r.message,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    timestamp: r.at,
    seq: r.seq,
    created_at: r.at,
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
