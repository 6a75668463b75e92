/**
 * What `bench memory` counts as met, apart from the benchmark so the CLI can show the defaults in
 * its help without loading the benchmark (a development tool, imported only when it runs).
 */
export interface MemoryBenchTargets {
  recall_at_10: number;
  speedup_vs_exact: number;
}

/** Recall@10 of 0.95 and 10× over exact search: what an HNSW index should give on 100k × 768. */
export const DEFAULT_MEMORY_TARGETS: Readonly<MemoryBenchTargets> = {
  recall_at_10: 0.95,
  speedup_vs_exact: 10,
};
