import type { ErrorClass } from '@cellport/plugin-platform-common';
import type { Registry } from 'prom-client';
import { CounterSeries, KeyedCounter } from './KeyedCounter';

/**
 * How one attempt at a model profile ended: `success` (its upstream answered), the error class
 * of its failure, or why it was passed over without calling its upstream (an open circuit, a
 * spent retry budget, a protocol that cannot express the request).
 */
export type UpstreamAttemptOutcome =
  | 'success'
  | ErrorClass
  | 'circuit-open'
  | 'retry-budget-exhausted'
  | 'cannot-serve';

/**
 * `cellport_gateway_upstream_attempts_total{model,outcome}`: every attempt of the fallback
 * chain, so that failures a fallback absorbed still show. Counted once per attempt on the
 * request path, so each profile's series are kept by profile and outcome: a count is two Map
 * lookups on strings that exist already, with nothing allocated.
 */
export class UpstreamAttemptCounter {
  private readonly counter: KeyedCounter<'model' | 'outcome'>;
  private readonly byModel = new Map<
    string,
    Map<UpstreamAttemptOutcome, CounterSeries>
  >();

  constructor(registry: Registry) {
    this.counter = new KeyedCounter({
      name: 'cellport_gateway_upstream_attempts_total',
      help: 'Upstream attempts by model profile and outcome: success, the error class of a failure (fallbacks included), or circuit-open, retry-budget-exhausted and cannot-serve for attempts passed over without calling the upstream',
      labelNames: ['model', 'outcome'] as const,
      registers: [registry],
    });
  }

  count(model: string, outcome: UpstreamAttemptOutcome): void {
    let outcomes = this.byModel.get(model);
    if (!outcomes) {
      outcomes = new Map();
      this.byModel.set(model, outcomes);
    }
    let series = outcomes.get(outcome);
    if (!series) {
      series = this.counter.labels({ model, outcome });
      outcomes.set(outcome, series);
    }
    series.inc();
  }
}
