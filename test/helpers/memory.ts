/**
 * Builds a memory the way the composition root does (backend from the configuration, unless a
 * test gives its own), with the local lexical-hash embedder unless a test gives one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config.js';
import type { VectorBackend } from '../../src/memory/backend.js';
import { createVectorBackend } from '../../src/memory/create-backend.js';
import type { Embedder } from '../../src/memory/embedder/embedder.js';
import { LexicalHashEmbedder } from '../../src/memory/embedder/lexical-hash-embedder.js';
import { type CreateMemoryOptions, createMemory, type Memory } from '../../src/memory/memory.js';
import { QdrantBackend, type QdrantBackendOptions } from '../../src/memory/qdrant/qdrant-backend.js';
import type { Metrics } from '../../src/observability/metrics.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestMemoryOptions extends Omit<CreateMemoryOptions, 'config' | 'backend' | 'embedder'> {
  config: Pick<Config, 'vectorDimension' | 'dataDir' | 'qdrantUrl' | 'qdrantApiKey'> &
    Partial<Pick<Config, 'memoryRecallSampleRate'>>;
  /** Default: `createVectorBackend` over `config` (Qdrant when qdrantUrl is set, else embedded). */
  backend?: VectorBackend;
  embedder?: Embedder;
  /** Embedded snapshots directory for the default backend; null keeps the index in memory. */
  snapshotDir?: string | null;
}

export function createTestMemory(options: TestMemoryOptions): Memory {
  const { config, backend, embedder, snapshotDir, ...rest } = options;
  return createMemory({
    ...rest,
    // Off unless a test asks: a sampled exact re-run is an extra backend request at random, which
    // tests counting requests would see 1 % of the time (test/integration/memory-recall-sampler.test.ts).
    config: { ...config, memoryRecallSampleRate: config.memoryRecallSampleRate ?? 0 },
    backend:
      backend ??
      createVectorBackend({
        config,
        db: options.db,
        metrics: options.metrics,
        ...(snapshotDir === undefined ? {} : { snapshotDir }),
      }),
    embedder: embedder ?? new LexicalHashEmbedder(config.vectorDimension),
  });
}

/**
 * A memory on a Qdrant server (a contract stand-in's URL), relay not started: the set-up every
 * Qdrant contract test shares. `backend` options (cluster layout, api key, request bounds) build
 * the QdrantBackend it uses, which is returned too.
 */
export function createQdrantTestMemory(options: {
  db: TestMemoryOptions['db'];
  url: string;
  dimension: number;
  backend?: Omit<QdrantBackendOptions, 'url'>;
  metrics?: Metrics;
  memoryRecallSampleRate?: number;
}): { memory: Memory; backend: QdrantBackend } {
  const backend = new QdrantBackend({ url: options.url, ...options.backend });
  const memory = createTestMemory({
    db: options.db,
    config: {
      vectorDimension: options.dimension,
      dataDir: '/nonexistent',
      qdrantUrl: options.url,
      qdrantApiKey: options.backend?.apiKey,
      ...(options.memoryRecallSampleRate === undefined
        ? {}
        : { memoryRecallSampleRate: options.memoryRecallSampleRate }),
    },
    backend,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    startRelay: false,
  });
  return { memory, backend };
}

/** A test database with a memory over it (embedded index, relay not started) and a data directory. */
export interface MemoryFixture {
  t: TestDatabase;
  memory: Memory;
  /** Closes the memory, drops the database, removes the data directory. */
  close(): Promise<void>;
}

export async function openMemoryFixture(dimension: number, name: string): Promise<MemoryFixture> {
  const t = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const memory = createTestMemory({
    db: t.db,
    config: { vectorDimension: dimension, dataDir, qdrantUrl: undefined, qdrantApiKey: undefined },
    metrics: t.metrics,
    startRelay: false,
  });
  await memory.init();
  return {
    t,
    memory,
    async close() {
      await memory.close();
      await t.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
