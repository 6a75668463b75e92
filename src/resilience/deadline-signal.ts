/**
 * Runs `fn` with an AbortSignal that fires after `timeoutMs`. Unlike `AbortSignal.timeout()`, whose
 * timer is unreferenced, this timer keeps the process alive until the deadline, so a call that
 * hangs without holding a socket (a stalled stream, a test double) still ends in a timeout error
 * instead of the process exiting with the promise unsettled. The abort reason is a `TimeoutError`.
 */
export async function withDeadlineSignal<T>(
  timeoutMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  try {
    return await fn(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
