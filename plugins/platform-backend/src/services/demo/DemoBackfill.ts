import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AgentEntity,
  EVENTS_SCHEMA_VERSION,
  ModelProfileEntity,
  PlatformEvent,
  RoutingCandidate,
  RoutingDecision,
  UsageEvent,
} from '@cellport/plugin-platform-common';
import {
  PlatformCatalog,
  PlatformEntities,
  refName,
} from '../catalog/PlatformCatalog';
import { Clock } from '../clock';
import { IngestService } from '../ingest/IngestService';
import { DAY_MS, HOUR_MS } from '../rollups/timeRanges';

/** Requests per agent per hour at the daily peak; nights see a fifth of it. */
const PEAK_REQUESTS_PER_HOUR = 24;
const BASE_FAILURE_RATE = 0.00003;
const INCIDENT_HOUR_CHANCE = 1 / 400;
const INCIDENT_FAILURE_RATE = 0.03;
/**
 * A Cell annotated with this many hours gets an outage on purpose at the end of its history
 * (a quarter of its requests fail), so the alerting views have something true to show.
 */
export const DEMO_OUTAGE_ANNOTATION = 'cellport.dev/demo-outage-hours';
const OUTAGE_FAILURE_RATE = 0.25;
const BATCH_SIZE = 2000;

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

export interface BackfillResult {
  days: number;
  from: string;
  to: string;
  events: number;
  stored: number;
  duplicates: number;
}

/**
 * Backfills days of realistic history for the catalog's agents through the ingest service,
 * marked as demo data, so dashboards are not empty on first start. Ids derive from agent and
 * time, so running it again stores nothing twice.
 */
export class DemoBackfill {
  constructor(
    private readonly catalog: PlatformCatalog,
    private readonly ingest: IngestService,
    private readonly clock: Clock,
    private readonly logger: LoggerService,
  ) {}

  async backfill(days: number): Promise<BackfillResult> {
    const entities = await this.catalog.entities({ fresh: true });
    const to = Math.floor(this.clock.now() / HOUR_MS) * HOUR_MS;
    const from = to - days * DAY_MS;
    let batch: PlatformEvent[] = [];
    const totals = { events: 0, stored: 0, duplicates: 0 };
    const flush = async () => {
      if (batch.length === 0) return;
      const result = await this.ingest.ingest(batch, { demo: true });
      totals.events += batch.length;
      totals.stored += result.stored;
      totals.duplicates += result.duplicates;
      batch = [];
    };
    const outageFrom = new Map(
      entities.cells.map(cell => [
        cell.metadata.name,
        to -
          Number(cell.metadata.annotations?.[DEMO_OUTAGE_ANNOTATION] ?? 0) *
            HOUR_MS,
      ]),
    );
    for (let hour = from; hour < to; hour += HOUR_MS) {
      for (const agent of entities.agents) {
        const cellOutageFrom = outageFrom.get(refName(agent.spec.cell)) ?? to;
        batch.push(
          ...demoRequestsFor(agent, entities, hour, hour >= cellOutageFrom),
        );
        if (batch.length >= BATCH_SIZE) await flush();
      }
    }
    await flush();
    this.logger.info(
      `Demo backfill of ${days} days: ${totals.stored} events stored, ${totals.duplicates} already there`,
    );
    return {
      days,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      ...totals,
    };
  }
}

/**
 * One hour of an agent's traffic: a diurnal rate, ~4% fallbacks, and failures and latencies
 * shaped like a healthy platform's, so that SLOs (99.9–99.99%) spend some of their error
 * budget, not all of it: failures are rare, except in the odd incident hour (about one in
 * 400 per agent), and latency tails stay mostly under the reference thresholds (seed 001).
 */
export function demoRequestsFor(
  agent: AgentEntity,
  entities: PlatformEntities,
  hourStart: number,
  outage = false,
): PlatformEvent[] {
  const name = agent.metadata.name;
  const rand = random(hash(`${name}:${hourStart}`));
  const hourOfDay = new Date(hourStart).getUTCHours();
  const diurnal =
    0.2 + 0.8 * Math.max(0, Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI));
  const count = Math.round(
    PEAK_REQUESTS_PER_HOUR * diurnal * (0.7 + 0.6 * rand()),
  );
  const profiles = [
    ...agent.spec.modelProfiles,
    ...agent.spec.routing.fallbackChain,
  ]
    .map(ref =>
      entities.modelProfiles.find(p => p.metadata.name === refName(ref)),
    )
    .filter((p): p is ModelProfileEntity => !!p);
  if (profiles.length === 0) return [];
  const dropped = entities.modelProfiles.find(p => !profiles.includes(p));
  const incident = rand() < INCIDENT_HOUR_CHANCE;
  let failureRate = incident ? INCIDENT_FAILURE_RATE : BASE_FAILURE_RATE;
  if (outage) failureRate = OUTAGE_FAILURE_RATE;
  const events: PlatformEvent[] = [];
  for (let i = 0; i < count; i++) {
    const time = hourStart + Math.floor(((i + rand()) / count) * HOUR_MS);
    const id = `demo-${name}-${time}-${i}`;
    const roll = rand();
    const failed = roll < failureRate;
    const fellBack = !failed && roll < 0.05 && profiles.length > 1;
    const chosen = fellBack ? profiles[1] : profiles[0];
    const inputTokens = Math.round(400 + rand() * 3000);
    const outputTokens = failed ? 0 : Math.round(80 + rand() * 700);
    const costUsd =
      (inputTokens * chosen.spec.pricing.inputPerMillionUsd +
        outputTokens * chosen.spec.pricing.outputPerMillionUsd) /
      1e6;
    // Long tails: a high power of a uniform draw is mostly small, now and then large.
    const upstream = failed ? 30000 : Math.round(250 + rand() ** 3 * 2500);
    const scope = {
      schemaVersion: EVENTS_SCHEMA_VERSION as typeof EVENTS_SCHEMA_VERSION,
      requestId: `${id}-r`,
      timestamp: new Date(time).toISOString(),
      gateway: `gw-${refName(agent.spec.cell)}-0`,
      cell: refName(agent.spec.cell),
      tenant: refName(agent.spec.tenant),
      agent: name,
      stateVersion: 'demo',
      outcome: failed ? ('error' as const) : ('success' as const),
      ...(failed ? { errorClass: 'upstream-timeout' as const } : {}),
    };
    const candidates: RoutingCandidate[] = profiles.map((p, rank) => ({
      modelProfile: p.metadata.name,
      kept: true,
      rank,
    }));
    if (dropped) {
      candidates.push({
        modelProfile: dropped.metadata.name,
        kept: false,
        dropReason: 'not-allowed',
        detail: 'not in the tenant allowlist',
      });
    }
    const decision: RoutingDecision = {
      ...scope,
      id: `${id}-d`,
      type: 'routing-decision',
      requestedModel: profiles[0].metadata.name,
      policy: agent.spec.routing.policy,
      complexityScore: Math.round(rand() * 100) / 100,
      requiredCapabilities: agent.spec.routing.requiredCapabilities,
      estimatedInputTokens: inputTokens,
      candidates,
      ...(failed ? {} : { chosen: chosen.metadata.name }),
      fallbacks: fellBack
        ? [
            {
              modelProfile: profiles[0].metadata.name,
              errorClass: 'upstream-unavailable',
              status: 503,
              latencyMs: Math.round(50 + rand() * 200),
            },
          ]
        : [],
      routerDecisionMs: Math.round((0.5 + rand() ** 3 * 40) * 10) / 10,
    };
    const usage: UsageEvent = {
      ...scope,
      id: `${id}-u`,
      type: 'usage',
      ...(failed ? {} : { modelProfile: chosen.metadata.name }),
      provider: chosen.spec.provider,
      stream: rand() < 0.7,
      inputTokens,
      outputTokens,
      tokensEstimated: false,
      costUsd,
      cached: false,
      gatewayOverheadMs: Math.round(2 + rand() ** 40 * 400),
      upstreamLatencyMs: upstream,
      timeToFirstTokenMs: failed
        ? undefined
        : Math.min(upstream, Math.round(120 + rand() ** 30 * 2500)),
      totalLatencyMs: upstream + 15,
      status: failed ? 504 : 200,
      demo: true,
    };
    events.push(decision, usage);
  }
  return events;
}
