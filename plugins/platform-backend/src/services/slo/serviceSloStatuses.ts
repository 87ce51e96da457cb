import {
  cellServiceSlos,
  cellSloTenant,
  runtimeService,
  ServiceSlo,
  ServiceSloStatus,
  SloStatus,
} from '@cellport/plugin-platform-common';
import { PrometheusSliSource } from '../prometheus/PrometheusSliSource';
import { PrometheusUnavailableError } from '../prometheus/PrometheusUnavailableError';
import { type PlatformEntities } from '@cellport/plugin-platform-node';

type Unavailable = NonNullable<ServiceSloStatus['sliUnavailable']>;

export const PROMETHEUS_NOT_CONFIGURED =
  'Prometheus not configured: set platform.prometheus.baseUrl';

/**
 * Every objective of a cell's runtime services (`cellServiceSlos`, the list the generated
 * Prometheus rules read): the gateway's and router's with the portal engine's statuses, the
 * others' read from Prometheus. When Prometheus cannot be read, those objectives carry the
 * reason instead of figures, and the report still answers.
 */
export async function serviceSloStatuses(options: {
  cell: PlatformEntities['cells'][number];
  eventStatuses: SloStatus[];
  prometheus?: PrometheusSliSource;
  restrictTo?: { tenants?: string[] };
  /** Each Prometheus objective's burn-down, for the cards; not for a state alone. */
  budgetSeries?: boolean;
}): Promise<ServiceSloStatus[]> {
  const { cell, eventStatuses, prometheus, restrictTo } = options;
  const slos = cellServiceSlos(cell);
  const fromPrometheus = slos.filter(slo => slo.sli.kind !== 'events');
  const statuses = new Map<string, SloStatus>();
  let unavailable: Unavailable | undefined;
  const tenant = cellSloTenant(cell);
  if (fromPrometheus.length === 0) {
    // Nothing to read.
  } else if (!prometheus) {
    unavailable = {
      reason: 'not-configured',
      message: PROMETHEUS_NOT_CONFIGURED,
    };
  } else if (
    restrictTo?.tenants &&
    !(tenant !== undefined && restrictTo.tenants.includes(tenant))
  ) {
    // Prometheus counts a cell's requests, not a tenant's: a caller restricted to some tenants
    // sees them only for a cell of one tenant it may read, as it sees only its own events.
    unavailable = {
      reason: 'restricted',
      message: `Prometheus SLIs of cell ${cell.metadata.name} count every tenant's requests; they are shown only to callers who may read all of them`,
    };
  } else {
    try {
      const read = await prometheus.evaluate(
        fromPrometheus,
        cell.metadata.name,
        { budgetSeries: options.budgetSeries },
      );
      fromPrometheus.forEach((slo, i) => statuses.set(slo.name, read[i]));
    } catch (error) {
      if (!(error instanceof PrometheusUnavailableError)) throw error;
      unavailable = { reason: error.reason, message: error.message };
    }
  }
  return slos.map(slo => {
    const events = slo.sli.kind === 'events';
    const status = events
      ? eventStatuses.find(s => s.objective.name === slo.name)
      : statuses.get(slo.name);
    return {
      service: slo.service,
      serviceTitle: runtimeService(slo.service).title,
      sliSource: events ? 'events' : 'prometheus',
      objective: status?.objective ?? objectiveOf(slo),
      source: slo.source,
      owner: slo.owner,
      ...(status ? { status } : {}),
      ...(!status && !events && unavailable
        ? { sliUnavailable: unavailable }
        : {}),
    };
  });
}

function objectiveOf(slo: ServiceSlo): ServiceSloStatus['objective'] {
  return {
    name: slo.name,
    indicator: slo.indicator,
    target: slo.target,
    window: slo.window,
    ...(slo.thresholdMs !== undefined ? { thresholdMs: slo.thresholdMs } : {}),
  };
}
