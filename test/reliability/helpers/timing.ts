/** Small timing helpers shared by the battery. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` every `intervalMs` until it returns true; resolves with the elapsed time (ms).
 * @throws Error naming `what` when `timeoutMs` passes first.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      if (await check()) return performance.now() - started;
    } catch {
      // The check's target may be briefly unreachable (a restarting service); poll again.
    }
    if (performance.now() - started > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** p50 / p99 / max of latencies (ms), rounded, for figure lines. */
export function latencySummary(values: readonly number[]): {
  p50: number;
  p99: number;
  max: number;
  n: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: Math.round(sorted[sorted.length - 1] ?? Number.NaN),
    n: sorted.length,
  };
}
