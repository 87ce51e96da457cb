import {
  AgentEntity,
  entityRefName,
  EVENTS_SCHEMA_VERSION,
  PlatformEvent,
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  AUTO_MODEL,
  CompiledState,
  costUsd,
  decideRoute,
  RouteInput,
  routingFeaturesOf,
  StaticUpstreams,
} from '@cellport/router';

const HOUR_MS = 3_600_000;
/** The fewest requests an agent gets per hour at the daily peak; nights see a fifth of it. */
const MIN_PEAK_REQUESTS_PER_HOUR = 24;
/**
 * Each agent gets traffic enough that the strictest availability objective it is held to has
 * an error budget of at least this many requests in 30 days: one bad request must not exhaust
 * a 99.99% objective, and a few must not either.
 */
const MIN_BUDGET_REQUESTS_PER_30_DAYS = 10;
/**
 * The most an agent gets, whatever its objective: a 99.999% target would otherwise ask for
 * millions of backfilled events and hold up the first start. Stricter than 99.99%, a budget
 * stays below ten requests.
 */
const MAX_PEAK_REQUESTS_PER_HOUR = 400;
const HOURS_PER_30_DAYS = 720;
/** The mean of the diurnal curve below over a day (its peak is 1): 0.2 + 0.8 / π. */
const MEAN_DIURNAL = 0.2 + 0.8 / Math.PI;
const BASE_FAILURE_RATE = 0.00003;
const INCIDENT_HOUR_CHANCE = 1 / 400;
/**
 * The failure rate of an incident hour under a 99.9% objective; a stricter objective's
 * platform has smaller incidents, in proportion, so that one spends part of its budget.
 */
const INCIDENT_FAILURE_RATE = 0.03;
const INCIDENT_REFERENCE_ERROR_RATE = 0.001;
/**
 * A Cell annotated with this many hours gets an outage on purpose at the end of its history
 * (a quarter of its requests fail), so the alerting views have something true to show.
 */
export const DEMO_OUTAGE_ANNOTATION = 'cellport.dev/demo-outage-hours';
const OUTAGE_FAILURE_RATE = 0.25;
/**
 * In an incident or outage hour, the share of requests routed while the agent's first
 * profile had its circuit open: the moment's conditions, which a replay of the state alone
 * cannot know (it lists those decisions as differing, for that reason). An agent with no
 * other profile is refused then, so incidents keep it small enough for the SLOs' budgets.
 */
const INCIDENT_BREAKER_SHARE = 0.02;
const OUTAGE_BREAKER_SHARE = 0.1;
/** Share of requests naming a model; the rest ask for `auto`, the router's choice. */
const NAMED_MODEL_SHARE = 0.2;
/** `max_tokens` as agents ask for it: always bounded, as a per-run cost cap needs. */
const MAX_TOKENS_ASKED = [256, 512, 1024];

/** A small deterministic generator, so a backfill replayed yields the same events and ids. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++)
    h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** How one agent's demo traffic is shaped. */
export interface DemoTrafficOptions {
  /** The hour ends in the cell's outage on purpose: a quarter of the requests fail. */
  outage?: boolean;
  /**
   * The strictest availability target the agent is held to (its own objectives and its
   * cell's): its traffic is sized so that this target's error budget is meaningful.
   */
  availabilityTarget?: number;
}

/** Requests per hour at the daily peak for an agent held to `availabilityTarget`. */
export function peakRequestsPerHour(availabilityTarget?: number): number {
  if (availabilityTarget === undefined || availabilityTarget >= 1) {
    return MIN_PEAK_REQUESTS_PER_HOUR;
  }
  const perThirtyDays =
    MIN_BUDGET_REQUESTS_PER_30_DAYS / (1 - availabilityTarget);
  const peak = Math.ceil(perThirtyDays / HOURS_PER_30_DAYS / MEAN_DIURNAL);
  return Math.min(
    MAX_PEAK_REQUESTS_PER_HOUR,
    Math.max(MIN_PEAK_REQUESTS_PER_HOUR, peak),
  );
}

/**
 * One hour of an agent's traffic: a diurnal rate, ~4% fallbacks, and failures and latencies
 * shaped like a healthy platform's, so that SLOs (99.9–99.99%) spend some of their error
 * budget, not all of it: failures are rare, except in the odd incident hour (about one in
 * 400 per agent), and latency tails stay mostly under the reference thresholds (seed 001).
 * Every route is decided by the gateway's own router (`@cellport/router`) under `state`, the
 * state the reconciler computes for the agent's cell (`cellRoutingState`), from recorded
 * features, so a replay of the unchanged state reproduces them.
 */
export function demoRequestsFor(
  agent: AgentEntity,
  state: CompiledState | undefined,
  hourStart: number,
  { outage = false, availabilityTarget }: DemoTrafficOptions = {},
): PlatformEvent[] {
  const name = agent.metadata.name;
  const cell = entityRefName(agent.spec.cell);
  const tenant = state?.tenants.get(entityRefName(agent.spec.tenant));
  const routed = state?.agents.get(name);
  // An agent its cell does not host gets no traffic, as its gateway would refuse its keys.
  if (!state || !tenant || !routed) return [];
  const rand = random(hash(`${name}:${hourStart}`));
  const hourOfDay = new Date(hourStart).getUTCHours();
  const diurnal =
    0.2 + 0.8 * Math.max(0, Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI));
  const count = Math.round(
    peakRequestsPerHour(availabilityTarget) * diurnal * (0.7 + 0.6 * rand()),
  );
  const incident = rand() < INCIDENT_HOUR_CHANCE;
  const incidentFailureRate =
    INCIDENT_FAILURE_RATE *
    Math.min(
      1,
      (1 - (availabilityTarget ?? 0)) / INCIDENT_REFERENCE_ERROR_RATE,
    );
  let failureRate = incident ? incidentFailureRate : BASE_FAILURE_RATE;
  if (outage) failureRate = OUTAGE_FAILURE_RATE;
  let breakerShare = incident ? INCIDENT_BREAKER_SHARE : 0;
  if (outage) breakerShare = OUTAGE_BREAKER_SHARE;
  const firstPreferred = routed.preferredModels[0];
  const namedModel =
    firstPreferred !== undefined
      ? state.profiles.get(firstPreferred)?.alias
      : undefined;
  const primaryDown = new StaticUpstreams(
    firstPreferred !== undefined ? [firstPreferred] : [],
  );
  const events: PlatformEvent[] = [];
  for (let i = 0; i < count; i++) {
    const time = hourStart + Math.floor(((i + rand()) / count) * HOUR_MS);
    const id = `demo-${name}-${time}-${i}`;
    const roll = rand();
    const inputTokens = Math.round(400 + rand() * 3000);
    const breakerOpen = rand() < breakerShare;
    const input: RouteInput = {
      state,
      principal: { tenant, agent: routed },
      modelType: 'chat',
      requestedModel:
        namedModel !== undefined && rand() < NAMED_MODEL_SHARE
          ? namedModel
          : AUTO_MODEL,
      classification: tenant.classification,
      requiredCapabilities: [],
      // The gateway's estimate errs low; the bound is what any tokenizer could make of it.
      estimatedInputTokens: Math.round(inputTokens * 0.9),
      promptTokenBound: Math.round(inputTokens * 1.2),
      maxOutputTokens: MAX_TOKENS_ASKED[Math.floor(rand() * 3)],
      choices: 1,
      complexity: Math.round(rand() * 100) / 100,
    };
    const plan = decideRoute(
      input,
      breakerOpen ? primaryDown : StaticUpstreams.calm,
    );
    const refusal = plan.refusal;
    const failed = refusal === undefined && roll < failureRate;
    const fellBack = !failed && roll < 0.05 && plan.attempts.length > 1;
    const chosen = fellBack ? plan.attempts[1] : plan.attempts[0];
    const served = chosen !== undefined && !failed;
    const outputTokens = served ? Math.round(80 + rand() * 700) : 0;
    const charged = refusal ? 0 : inputTokens;
    // Long tails: a high power of a uniform draw is mostly small, now and then large.
    const upstream = failed ? 30000 : Math.round(250 + rand() ** 3 * 2500);
    let outcome: UsageEvent['outcome'] = 'success';
    if (refusal) outcome = refusal.status >= 500 ? 'error' : 'rejected';
    else if (failed) outcome = 'error';
    let errorClass: UsageEvent['errorClass'];
    if (refusal) errorClass = refusal.errorClass;
    else if (failed) errorClass = 'upstream-timeout';
    const scope = {
      schemaVersion: EVENTS_SCHEMA_VERSION as typeof EVENTS_SCHEMA_VERSION,
      requestId: `${id}-r`,
      timestamp: new Date(time).toISOString(),
      gateway: `gw-${cell}-0`,
      cell,
      tenant: tenant.id,
      agent: name,
      stateVersion: state.version,
      outcome,
      ...(errorClass ? { errorClass } : {}),
    };
    const decision: RoutingDecision = {
      ...scope,
      id: `${id}-d`,
      type: 'routing-decision',
      requestedModel: input.requestedModel,
      policy: plan.policy,
      complexityScore: input.complexity,
      requiredCapabilities: plan.requiredCapabilities,
      estimatedInputTokens: input.estimatedInputTokens,
      candidates: plan.candidates,
      ...(served ? { chosen: chosen.id } : {}),
      fallbacks: fellBack
        ? [
            {
              modelProfile: plan.attempts[0].id,
              errorClass: 'upstream-unavailable',
              status: 503,
              latencyMs: Math.round(50 + rand() * 200),
            },
          ]
        : [],
      routerDecisionMs: Math.round((0.5 + rand() ** 3 * 40) * 10) / 10,
      features: routingFeaturesOf(input),
    };
    const usage: UsageEvent = {
      ...scope,
      id: `${id}-u`,
      type: 'usage',
      ...(served ? { modelProfile: chosen.id } : {}),
      ...(chosen ? { provider: chosen.provider } : {}),
      stream: rand() < 0.7,
      inputTokens: charged,
      outputTokens,
      tokensEstimated: false,
      costUsd: chosen ? costUsd(chosen, charged, outputTokens) : 0,
      cached: false,
      gatewayOverheadMs: Math.round(2 + rand() ** 40 * 400),
      ...(chosen ? { upstreamLatencyMs: upstream } : {}),
      timeToFirstTokenMs: served
        ? Math.min(upstream, Math.round(120 + rand() ** 30 * 2500))
        : undefined,
      totalLatencyMs: chosen ? upstream + 15 : 3,
      status: refusal?.status ?? (failed ? 504 : 200),
      demo: true,
    };
    events.push(decision, usage);
  }
  return events;
}
