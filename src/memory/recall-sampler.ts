/**
 * Recall in production: a small share of live dense searches (MEMORY_RECALL_SAMPLE_RATE, default
 * 1 %) is run again exactly — a full scan of the same filtered request — after its answer has
 * gone out, and recall@k (the share of the exact top-k the live answer held) is recorded in
 * `shannon_memory_search_recall{collection}`. Operators see recall drift as the index grows or its
 * settings change, not only in a benchmark. One sample runs at a time; a search that would start a
 * second one while the first runs is not sampled, so the cost stays bounded under load.
 */
import type { Metrics } from '../observability/metrics.js';
import type { BackendSearchRequest, ScoredPoint, VectorBackend } from './backend.js';

export const DEFAULT_RECALL_SAMPLE_RATE = 0.01;

/** |live ∩ exact| / |exact| by point id; 1 when the exact answer is empty (nothing to miss). */
export function recallAtK(live: readonly ScoredPoint[], exact: readonly ScoredPoint[]): number {
  if (exact.length === 0) return 1;
  const found = new Set(live.map((p) => p.id));
  return exact.filter((p) => found.has(p.id)).length / exact.length;
}

export class RecallSampler {
  private running: Promise<void> | undefined;

  constructor(
    private readonly backend: VectorBackend,
    private readonly rate: number,
    private readonly metrics: Metrics | undefined,
    private readonly random: () => number = Math.random,
  ) {}

  /** After a live search answered `live`: maybe re-run it exactly (not awaited) and record recall. */
  offer(
    collection: string,
    physical: string,
    request: BackendSearchRequest,
    live: readonly ScoredPoint[],
  ): void {
    if (this.rate <= 0 || this.running !== undefined || this.random() >= this.rate) return;
    this.running = this.backend
      .search(physical, { ...request, exact: true, withVector: false })
      .then((exact) => this.metrics?.memorySearchRecall.observe({ collection }, recallAtK(live, exact)))
      // A failed sample says nothing about recall; the search itself already succeeded.
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Waits for a sample in progress (tests, shutdown). */
  async settle(): Promise<void> {
    await this.running;
  }
}
