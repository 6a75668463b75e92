/**
 * The typical best score of a collection's recent graph searches, to tell a search that ended far
 * from its neighbours: on data with very unequal clusters a walk can stay in a large cluster next
 * to the small one the query belongs to, and its best score is then far below what searches
 * usually find (docs/benchmarks.md, "Where recall fails"). Such a search is retried wider.
 */

/** Recent best scores kept. */
const WINDOW = 256;
/** Below this many recorded scores nothing counts as low. */
const MIN_SAMPLES = 64;
/** Low means under median − SPREADS × (1.4826 × median absolute deviation), a robust 3 σ. */
const SPREADS = 3;
/** The threshold is recomputed after this many new scores. */
const REFRESH = 32;

export class ScoreBaseline {
  private readonly scores = new Float64Array(WINDOW);
  private recorded = 0;
  private threshold = Number.NEGATIVE_INFINITY;

  /** Records the best score of a search. */
  record(score: number): void {
    this.scores[this.recorded % WINDOW] = score;
    this.recorded += 1;
    if (this.recorded >= MIN_SAMPLES && this.recorded % REFRESH === 0) this.refresh();
  }

  /** Whether `score` is far below the recent typical best. */
  isLow(score: number): boolean {
    return score < this.threshold;
  }

  private refresh(): void {
    const held = this.scores.slice(0, Math.min(this.recorded, WINDOW)).sort();
    const median = held[held.length >> 1] as number;
    const deviations = held.map((s) => Math.abs(s - median)).sort();
    const mad = deviations[deviations.length >> 1] as number;
    this.threshold = median - SPREADS * 1.4826 * mad;
  }
}
