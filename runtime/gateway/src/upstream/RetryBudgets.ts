import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { RetryBudget } from './RetryBudget';
import { upstreamKey } from './upstreamKey';

/** Upstreams a budget is kept for; past it (state pushes renaming endpoints) all start afresh. */
const MAX_UPSTREAMS = 10_000;

/**
 * A retry budget per upstream, as Envoy keeps one per cluster: retries to an upstream are a
 * share of the calls that reach it, so healthy traffic elsewhere cannot pay for every request
 * to a failing deployment to be retried on it.
 */
export class RetryBudgets {
  private readonly budgets = new Map<string, RetryBudget>();

  constructor(
    private readonly ratio?: number,
    private readonly maxTokens?: number,
  ) {}

  of(profile: GatewayModelProfile): RetryBudget {
    const key = upstreamKey(profile);
    let budget = this.budgets.get(key);
    if (budget === undefined) {
      if (this.budgets.size >= MAX_UPSTREAMS) this.budgets.clear();
      budget = new RetryBudget(this.ratio, this.maxTokens);
      this.budgets.set(key, budget);
    }
    return budget;
  }
}
