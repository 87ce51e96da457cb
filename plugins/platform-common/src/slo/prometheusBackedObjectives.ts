import type {
  ServiceSloStatus,
  SloStatus,
} from '../schema/openapi/generated/models';

/** A cell's objective whose SLI lives in Prometheus, as the Cells list and the deploy gate count it. */
export interface PrometheusObjective {
  name: string;
  indicator: ServiceSloStatus['objective']['indicator'];
  /** Where it stands; absent when Prometheus could not answer, `unreadable` saying why. */
  status?: SloStatus;
  unreadable?: string;
}

/**
 * The Prometheus-backed objectives of a cell report's `services` that count toward the cell's
 * state: those read, and those Prometheus did not answer for (unreachable, query refused).
 * Without a configured Prometheus, or for a caller who may not see a shared cell's cell-wide
 * counts, there are none, and the state is the gateway's objectives' alone, as before.
 */
export function prometheusBackedObjectives(
  services: ServiceSloStatus[] = [],
): PrometheusObjective[] {
  return services.flatMap((entry): PrometheusObjective[] => {
    if (entry.sliSource !== 'prometheus') return [];
    const { name, indicator } = entry.objective;
    if (entry.status) return [{ name, indicator, status: entry.status }];
    const unavailable = entry.sliUnavailable;
    if (
      unavailable?.reason === 'unreachable' ||
      unavailable?.reason === 'query-failed'
    ) {
      return [{ name, indicator, unreadable: unavailable.message }];
    }
    return [];
  });
}
