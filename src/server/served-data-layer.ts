/**
 * The subsystems the service serves. The composition root wires them; while a subsystem is not yet
 * part of `createDataLayer`, the service builds it here from the same database, config and
 * registry, and closes it before the data layer (the write path drains or spools first).
 */
import type { DataLayer } from '../data-layer.js';
import { createIngest, type Ingest } from '../ingest/ingest.js';
import { PostgresRecordWriter } from '../ingest/record-writer.js';
import { createMemory } from '../memory/memory.js';
import type { ServedSubsystems } from './routes/register-routes.js';

export interface ServedDataLayer {
  dataLayer: DataLayer & Required<Pick<ServedSubsystems, 'memory' | 'ingest'>> & ServedSubsystems;
  /** Closes what was built here (ingest first, then memory); the data layer itself stays open. */
  close(): Promise<void>;
}

/** Completes a data layer with the memory and write path when the composition root lacks them. */
export async function completeDataLayer(
  base: DataLayer,
  options: { memorySnapshotDir?: string | null; relayIntervalMs?: number } = {},
): Promise<ServedDataLayer> {
  const wired = base as DataLayer & ServedSubsystems;
  const { db, config, metrics } = base;
  const memory =
    wired.memory ??
    createMemory({
      db,
      config,
      metrics,
      ...(options.memorySnapshotDir === undefined ? {} : { snapshotDir: options.memorySnapshotDir }),
      ...(options.relayIntervalMs === undefined ? {} : { relayIntervalMs: options.relayIntervalMs }),
    });
  const ingest: Ingest =
    wired.ingest ??
    (await createIngest({ writer: new PostgresRecordWriter(db), dataDir: config.dataDir, metrics }));
  return {
    dataLayer: { ...base, memory, ingest },
    async close() {
      if (wired.ingest === undefined) await ingest.close();
      if (wired.memory === undefined) await memory.close();
    },
  };
}
