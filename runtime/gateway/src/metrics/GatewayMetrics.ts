import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import {
  GATEWAY_LATENCY_HISTOGRAMS,
  GATEWAY_SLI_REQUESTS_METRIC,
  Outcome,
  outcomeSchema,
} from '@cellport/plugin-platform-common';
import type { CircuitState } from '../upstream/CircuitBreaker';
import { GenAiMetrics } from './GenAiMetrics';
import { CounterSeries, KeyedCounter } from './KeyedCounter';
import { KeyedHistogram } from './KeyedHistogram';
import { UpstreamAttemptCounter } from './UpstreamAttemptCounter';

/** The `state` label of each breaker state: Prometheus label values use underscores. */
const CIRCUIT_STATES: ReadonlyArray<[CircuitState, string]> = [
  ['closed', 'closed'],
  ['half-open', 'half_open'],
  ['open', 'open'],
];

/**
 * The gateway's Prometheus metrics, in a registry of its own so that several gateways in one
 * process (tests) do not collide. Labels are tenant and model profile ids from the desired
 * state, so their cardinality is bounded by it. What every request updates is keyed
 * (`KeyedCounter`, `KeyedHistogram`): the same exposition at a fraction of the CPU.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readInFlight: () => number = () => 0;
  private readBuffered: () => number = () => 0;
  private readConnections: () => number = () => 0;
  readonly requests = new KeyedCounter({
    name: 'cellport_gateway_requests_total',
    help: 'Requests by tenant, model profile and outcome',
    labelNames: ['tenant', 'model', 'outcome', 'status'] as const,
    registers: [this.registry],
  });
  /**
   * The availability SLI's counter (`GATEWAY_AVAILABILITY_SLI`): the requests of an
   * authenticated tenant by outcome, every outcome's series there at 0 from the start.
   */
  private readonly sliRequests = new KeyedCounter({
    name: GATEWAY_SLI_REQUESTS_METRIC,
    help: "Requests of an authenticated tenant (those the portal's events count) by outcome, every outcome counted from 0 at start: the availability SLI",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  // Each outcome's series, taken once: counted with no key to build on every request. Counters
  // are never reset (a reset would detach these series from the exposition).
  private readonly sliRequestsByOutcome = Object.fromEntries(
    outcomeSchema.options.map(outcome => [
      outcome,
      this.sliRequests.labels({ outcome }),
    ]),
  ) as Record<Outcome, CounterSeries>;
  /** Every attempt of the fallback chain, by model profile and how it ended. */
  readonly upstreamAttempts = new UpstreamAttemptCounter(this.registry);
  readonly overhead = new KeyedHistogram({
    name: 'cellport_gateway_overhead_seconds',
    help: 'Time the gateway itself added to a request (total minus upstream)',
    buckets: [
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
      0.3,
    ],
    registers: [this.registry],
  });
  /** The router's decision time, the LLM Router's latency SLI in the cells' SLO rules. */
  readonly routerDecision = new KeyedHistogram({
    name: GATEWAY_LATENCY_HISTOGRAMS['router-decision'].histogram,
    help: 'Time the router took to filter candidates and pick a route',
    buckets: GATEWAY_LATENCY_HISTOGRAMS['router-decision'].buckets,
    registers: [this.registry],
  });
  readonly upstreamLatency = new KeyedHistogram({
    name: 'cellport_gateway_upstream_latency_seconds',
    help: 'Upstream latency, from dispatch to the end of its answer',
    labelNames: ['model'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly timeToFirstToken = new KeyedHistogram({
    name: 'cellport_gateway_ttft_seconds',
    help: 'Time to the first streamed token, as the caller sees it',
    labelNames: ['model'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly tokens = new KeyedCounter({
    name: 'cellport_gateway_tokens_total',
    help: 'Tokens by tenant, model profile and direction',
    labelNames: ['tenant', 'model', 'direction'] as const,
    registers: [this.registry],
  });
  readonly cost = new KeyedCounter({
    name: 'cellport_gateway_cost_usd_total',
    help: 'Cost in US dollars by tenant and model profile',
    labelNames: ['tenant', 'model'] as const,
    registers: [this.registry],
  });
  /**
   * Reads each tenant's monthly budget left from the counters; the gateway's wiring sets it.
   * The gauge asks at every scrape rather than keeping what requests last saw: a figure kept
   * from a request's reservation stays positive after an overspend settles, and one replica
   * does not see what the others spent.
   */
  budgetLeft?: () => Promise<Array<[tenant: string, remainingUsd: number]>>;
  readonly budgetRemaining: Gauge<'tenant'> = new Gauge({
    name: 'cellport_gateway_budget_remaining_usd',
    help: "Tenant's monthly budget left, read from the shared counters at scrape time; negative when overspent",
    labelNames: ['tenant'] as const,
    registers: [this.registry],
    collect: () => this.readBudgetLeft(),
  });
  /** One series per profile and state, 1 for the state the breaker is in, else 0. */
  readonly circuitState = new Gauge({
    name: 'cellport_gateway_circuit_state',
    help: 'Circuit breaker state per model profile: 1 for its current state (closed, half_open, open), 0 for the others',
    labelNames: ['model', 'state'] as const,
    registers: [this.registry],
  });
  readonly eventsDelivered = new Counter({
    name: 'cellport_gateway_events_delivered_total',
    help: 'Events delivered to the portal or the event stream',
    registers: [this.registry],
  });
  readonly eventsRejected = new Counter({
    name: 'cellport_gateway_events_rejected_total',
    help: 'Events of delivered batches the portal refused one by one, as breaking its event contract (over HTTP; a NATS consumer logs them)',
    registers: [this.registry],
  });
  readonly inFlightRequests: Gauge = new Gauge({
    name: 'cellport_gateway_in_flight_requests',
    help: 'API requests (/v1/...) being served, streams included; the HPA scales on it',
    registers: [this.registry],
    // Read at scrape time, so requests pay nothing for the gauge.
    collect: (): void => {
      this.inFlightRequests.set(this.readInFlight());
    },
  });
  readonly bufferedBytes: Gauge = new Gauge({
    name: 'cellport_gateway_buffered_bytes',
    help: 'Bytes of request bodies and upstream JSON answers the API requests in flight hold in memory; at GATEWAY_MAX_BUFFERED_BYTES, requests are refused with 503',
    registers: [this.registry],
    collect: (): void => {
      this.bufferedBytes.set(this.readBuffered());
    },
  });
  readonly openConnections: Gauge = new Gauge({
    name: 'cellport_gateway_open_connections',
    help: 'Client connections open to this replica, idle kept-alive ones and those still sending their request included',
    registers: [this.registry],
    collect: (): void => {
      this.openConnections.set(this.readConnections());
    },
  });
  readonly stateVersion = new Gauge({
    name: 'cellport_gateway_state_info',
    help: 'The desired-state version in force (value 1)',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });

  /** `gen_ai_client_*`: the OpenTelemetry GenAI metrics. */
  readonly genAi = new GenAiMetrics(this.registry);

  constructor() {
    // Node's process metrics under their standard names (process_cpu_seconds_total,
    // nodejs_heap_size_used_bytes...), which stock Node.js dashboards chart.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Unreadable counters (Redis down) leave no figure rather than an old one. */
  private async readBudgetLeft(): Promise<void> {
    if (!this.budgetLeft) {
      return;
    }
    let rows: Array<[string, number]> = [];
    try {
      rows = await this.budgetLeft();
    } catch {
      // No figure: the scrape still answers, with the other metrics.
    }
    this.budgetRemaining.reset();
    for (const [tenant, usd] of rows) {
      this.budgetRemaining.set({ tenant }, usd);
    }
  }

  /** Counts a request of an authenticated tenant in the availability SLI. */
  countSliRequest(outcome: Outcome): void {
    this.sliRequestsByOutcome[outcome].inc();
  }

  /** Where `cellport_gateway_in_flight_requests` reads its value: the server's own count. */
  observeInFlight(read: () => number): void {
    this.readInFlight = read;
  }

  observeBuffered(read: () => number): void {
    this.readBuffered = read;
  }

  observeConnections(read: () => number): void {
    this.readConnections = read;
  }

  setCircuit(model: string, current: CircuitState): void {
    for (const [state, label] of CIRCUIT_STATES) {
      this.circuitState.set({ model, state: label }, state === current ? 1 : 0);
    }
  }

  setStateVersion(version: string): void {
    this.stateVersion.reset();
    this.stateVersion.set({ version }, 1);
  }
}
