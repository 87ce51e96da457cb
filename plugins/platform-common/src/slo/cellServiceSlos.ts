import { CellSpec } from '../kinds/cell';
import { entityRefName } from '../isolation/entityRefName';
import { PrometheusSli, ServiceSloOverride } from '../kinds/serviceSlos';
import {
  DEFAULT_SLOS,
  LatencyMetric,
  SloObjective,
  SloWindow,
} from '../kinds/slo';
import {
  eventSliService,
  RUNTIME_SERVICES,
  RuntimeService,
  RuntimeServiceId,
} from './runtimeServices';

/** Where an objective's SLI comes from: the gateway's events (portal), or Prometheus. */
export type SliSpec =
  | { kind: 'events'; metric?: LatencyMetric }
  | PrometheusSli;

/** One objective of one runtime service of a cell, with seed 001's defaults filled in. */
export interface ServiceSlo {
  service: RuntimeServiceId;
  /** Unique within the cell; the `slo` label of its rules. */
  name: string;
  indicator: 'availability' | 'latency';
  target: number;
  window: SloWindow;
  thresholdMs?: number;
  /** Entity ref of the group an alert goes to. */
  owner: string;
  sli: SliSpec;
  /** `entity` where the Cell declares or overrides it, `default` for seed 001's values. */
  source: 'entity' | 'default';
}

/** The default window of the other services' objectives, as of DEFAULT_SLOS. */
const DEFAULT_WINDOW: SloWindow = '28d';
/** A p95 objective: 95% of requests under the threshold. */
const P95 = 0.95;

function fromEventObjective(
  objective: SloObjective,
  owner: string,
  source: ServiceSlo['source'],
): ServiceSlo {
  const metric =
    objective.indicator === 'latency'
      ? objective.metric ?? 'gateway-overhead'
      : undefined;
  return {
    service: eventSliService(metric),
    name: objective.name,
    indicator: objective.indicator,
    target: objective.target,
    window: objective.window,
    ...(objective.thresholdMs !== undefined
      ? { thresholdMs: objective.thresholdMs }
      : {}),
    owner,
    sli: metric ? { kind: 'events', metric } : { kind: 'events' },
    source,
  };
}

function prometheusObjectives(
  service: RuntimeService,
  override: ServiceSloOverride,
  cellOwner: string,
): ServiceSlo[] {
  const owner = override.owner ?? cellOwner;
  const requests = `${service.metricPrefix}_requests_total`;
  const operation = service.operation
    ? `{operation="${service.operation}"}`
    : '';
  const { availability = {}, latency = {} } = override;
  return [
    {
      service: service.id,
      name: `${service.id}-availability`,
      indicator: 'availability',
      target: availability.target ?? service.availability,
      window: availability.window ?? DEFAULT_WINDOW,
      owner,
      sli: availability.sli ?? {
        kind: 'ratio',
        good: `${requests}{outcome!="error"}`,
        total: requests,
      },
      source: override.availability || override.owner ? 'entity' : 'default',
    },
    {
      service: service.id,
      name: `${service.id}-latency`,
      indicator: 'latency',
      target: latency.target ?? P95,
      window: latency.window ?? DEFAULT_WINDOW,
      ...(latency.sli?.kind === 'ratio'
        ? {}
        : { thresholdMs: latency.thresholdMs ?? service.p95Ms }),
      owner,
      sli: latency.sli ?? {
        kind: 'histogram',
        histogram: `${service.metricPrefix}_request_duration_seconds${operation}`,
      },
      source: override.latency || override.owner ? 'entity' : 'default',
    },
  ];
}

/**
 * Every SLO of a cell's runtime services, the one list that the portal's cards, the generated
 * Prometheus rules and the OpenSLO export read. The AI Gateway and LLM Router hold the Cell's
 * `spec.slos` (all of them, or seed 001's DEFAULT_SLOS when it declares none, as the portal's
 * SLO engine reads them); every other service of seed 001's table gets its availability and
 * p95 latency row, with what `spec.serviceSlos` overrides.
 */
export function cellServiceSlos(cell: {
  spec: Pick<CellSpec, 'owner' | 'slos' | 'serviceSlos'>;
}): ServiceSlo[] {
  const { owner, slos, serviceSlos = {} } = cell.spec;
  const events = (slos ?? DEFAULT_SLOS).map(objective =>
    fromEventObjective(objective, owner, slos ? 'entity' : 'default'),
  );
  const byService = RUNTIME_SERVICES.flatMap(service => {
    if (service.id === 'ai-gateway' || service.id === 'llm-router') {
      return events.filter(slo => slo.service === service.id);
    }
    const override = serviceSlos[service.id] ?? {};
    if (override.enabled === false) return [];
    return prometheusObjectives(service, override, owner);
  });
  return byService;
}

/**
 * The tenant a cell's SLOs belong to: the one tenant of a dedicated or customer-VPC cell; none
 * for a shared cell, whose SLOs are every hosted tenant's.
 */
export function cellSloTenant(cell: {
  spec: Pick<CellSpec, 'tier' | 'tenants'>;
}): string | undefined {
  return cell.spec.tier !== 'shared' && cell.spec.tenants.length === 1
    ? entityRefName(cell.spec.tenants[0])
    : undefined;
}
