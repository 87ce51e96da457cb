import type { ServerResponse } from 'node:http';
import type { GatewayDeps } from '../api/GatewayDeps';

/**
 * `/metrics`, rendered once for every scrape that comes while it renders. A render reads each
 * tenant's spend from the counters (a Redis read a tenant in production) and writes series by
 * the thousand: scrapes that came together, each doing all of that, made a replica of a large
 * state miss its own 1 s Redis deadline and refuse its callers 503.
 */
export class MetricsEndpoint {
  private rendering?: Promise<string>;

  constructor(
    private readonly deps: Pick<GatewayDeps, 'metrics' | 'health' | 'state'>,
  ) {}

  async serve(res: ServerResponse): Promise<void> {
    this.rendering ??= this.render().finally(() => {
      this.rendering = undefined;
    });
    const text = await this.rendering;
    res.writeHead(200, {
      'content-type': this.deps.metrics.registry.contentType,
    });
    res.end(text);
  }

  private async render(): Promise<string> {
    const { metrics, health, state } = this.deps;
    // Only the profiles of the state in force: one a push removed has no circuit to chart.
    metrics.circuitState.reset();
    for (const { profileId, state: circuit } of health.states()) {
      if (state.current?.profiles.has(profileId)) {
        metrics.setCircuit(profileId, circuit);
      }
    }
    if (state.current) {
      metrics.setStateVersion(state.current.version);
    }
    return metrics.registry.metrics();
  }
}
