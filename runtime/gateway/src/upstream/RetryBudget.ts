/**
 * Caps retries gateway-wide so that fallbacks cannot multiply load during an incident: every
 * request deposits `ratio` of a token, every retry withdraws one, and the balance never exceeds
 * `maxTokens`. With ratio 0.2 at most about one request in five is retried once an outage has
 * drained the reserve (the gRPC and Envoy retry-budget rule).
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
