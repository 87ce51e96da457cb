import type { Logger } from 'pino';

/** A warning about dropped spans at most this often. */
const LOG_INTERVAL_MS = 10_000;

/**
 * Counts the spans that could not be exported and says so in the log: at once for the
 * first, then at most every ten seconds with the sum and the reasons since the last line,
 * so an outage of the collector makes a few lines, and none of its count is lost.
 */
export class DroppedSpans {
  private spans = 0;
  private readonly reasons = new Set<string>();
  private lastLog = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly logger: Logger | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  add(spans: number, reason: string): void {
    this.spans += spans;
    if (this.reasons.size < 5) this.reasons.add(reason);
    if (this.stopped) {
      // The spans a request ends together make one line, before the process can exit.
      if (this.spans === spans) queueMicrotask(() => this.log());
      return;
    }
    const wait = this.lastLog + LOG_INTERVAL_MS - this.now();
    if (wait <= 0) {
      this.log();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.log(), wait);
      this.timer.unref();
    }
  }

  /**
   * Logs what has not been logged yet; drops after this are logged at the end of the current
   * task, as the process is on its way out and a line held for a timer would never come.
   */
  stop(): void {
    this.stopped = true;
    this.log();
  }

  /** Logs what has not been logged yet. */
  log(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.spans === 0) return;
    this.lastLog = this.now();
    this.logger?.warn(
      { droppedSpans: this.spans, reasons: [...this.reasons] },
      'spans could not be exported and were dropped',
    );
    this.spans = 0;
    this.reasons.clear();
  }
}
