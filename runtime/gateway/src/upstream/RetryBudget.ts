/**
 * Caps the retries to one upstream (`RetryBudgets`) so that they cannot multiply load on it
 * when it fails: every call that reaches it deposits `ratio` of a token, every retry withdraws
 * one, and the balance never exceeds `maxTokens`. With ratio 0.2 at most about one call in five
 * is retried once an outage has drained the reserve (the gRPC and Envoy retry-budget rule).
 *
 * A retry is a second call to an upstream this request already called (same endpoint and
 * upstream model). Moving on to another upstream is failover, not a retry: the upstream that
 * failed gets no second call, and a request skipped past an open circuit calls nothing at all.
 * Neither is charged here, so a burst at the moment a primary dies all reaches the fallback.
 */
export class RetryBudget {
  private tokens: number;

  constructor(private readonly ratio = 0.2, private readonly maxTokens = 20) {
    this.tokens = maxTokens;
  }

  onRequest(): void {
    this.tokens = Math.min(this.maxTokens, this.tokens + this.ratio);
  }

  tryRetry(): boolean {
    if (this.tokens < 1) {
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}
