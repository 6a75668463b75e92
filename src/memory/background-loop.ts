/**
 * A pass that runs again and again in the background (the outbox relay, the index follower): every
 * `intervalMs`, passes are run back to back until one finds nothing more to do; never two at once;
 * an error ends the round and goes to `onError`, the next round runs as usual.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  /** `pass` resolves true when it did work and another pass should follow at once. */
  constructor(
    private readonly pass: () => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    const round = async () => {
      try {
        while ((await this.pass()) && !this.stopped) {
          // Work was found: run the next pass without waiting for the interval.
        }
      } catch (error) {
        this.onError(error);
      }
    };
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = round().finally(() => {
        this.running = undefined;
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the loop and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
