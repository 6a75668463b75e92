/**
 * Runs the load generator (open-loop-worker.mjs: open or closed loop) in a worker thread and
 * returns what it measured: per request, its status, latency and error code, and the keys it had acknowledged.
 */
import { Worker } from 'node:worker_threads';

export interface OpenLoopOptions {
  baseUrl: string;
  apiKey: string;
  /** Open loop: requests per second offered, whatever the answers… */
  rate?: number;
  /** …or closed loop: this many requests in flight, each client sending when answered. */
  clients?: number;
  durationMs: number;
  maxOutstanding: number;
  /** Records per request. */
  batch: number;
  createdAt: string;
  /** Idempotency keys are `<prefix>-r<request>-<record>`. */
  prefix: string;
  timeoutMs: number;
}

export interface OpenLoopAttempt {
  index: number;
  /** HTTP status; 0 for a network error, -1 for a client timeout. */
  status: number;
  ms: number;
  code: string | undefined;
}

export interface OpenLoopResult {
  sent: number;
  notSent: number;
  attempts: OpenLoopAttempt[];
  acknowledged: Set<string>;
  /** The generator's own event-loop delay p99 (ms): its latencies are only as good as this. */
  loopDelayP99Ms: number;
}

export function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./open-loop-worker.mjs', import.meta.url), { workerData: options });
    worker.once('error', reject);
    worker.once(
      'message',
      (m: {
        sent: number;
        notSent: number;
        loopDelayP99Ms: number;
        results: [number, number, number, string?][];
      }) => {
        const attempts = m.results.map(([index, status, ms, code]) => ({ index, status, ms, code }));
        const acknowledged = new Set<string>();
        for (const a of attempts) {
          if (a.status < 200 || a.status >= 300) continue;
          for (let i = 0; i < options.batch; i += 1) acknowledged.add(`${options.prefix}-r${a.index}-${i}`);
        }
        resolve({
          sent: m.sent,
          notSent: m.notSent,
          attempts,
          acknowledged,
          loopDelayP99Ms: m.loopDelayP99Ms,
        });
        void worker.terminate();
      },
    );
  });
}
