import { stringify } from 'yaml';
import { ServiceSlo } from './cellServiceSlos';
import { runtimeService } from './runtimeServices';
import { renderPromSelector } from './promSelector';
import { sliCounters } from './sliQueries';

const prometheusQuery = (query: string) => ({
  metricSource: { type: 'Prometheus', spec: { query } },
});

function describe(slo: ServiceSlo): string {
  const title = runtimeService(slo.service).title;
  const share = `${Number((slo.target * 100).toFixed(4))}%`;
  return slo.indicator === 'latency' && slo.thresholdMs !== undefined
    ? `${title}: ${share} of requests within ${slo.thresholdMs} ms`
    : `${title}: ${share} of requests not failed by the service`;
}

/**
 * One SLO of a cell as an OpenSLO v1 `SLO` (openslo.com), for other SLO tools (Sloth, Pyrra,
 * Nobl9 and the like): a ratio of Prometheus counters (`counter: true`, so the tool takes
 * their rates), the rolling window, and the target. A threshold between two histogram
 * buckets has no counter of its own, so it exports the bucket below it (the strict reading),
 * or the one above where there is none below.
 */
export function toOpenSlo(
  slo: ServiceSlo,
  cell: { name: string; tenant?: string },
): Record<string, unknown> {
  const { good, total } = sliCounters(slo, cell.name);
  const goodSelector =
    'selector' in good ? good.selector : good.lower ?? good.upper;
  const name = `${cell.name}-${slo.name}`;
  return {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: {
      name,
      displayName: describe(slo),
      labels: {
        cell: cell.name,
        service: slo.service,
        ...(cell.tenant ? { tenant: cell.tenant } : {}),
      },
    },
    spec: {
      description: `${describe(slo)}, in cell ${cell.name}; owned by ${
        slo.owner
      }`,
      service: slo.service,
      indicator: {
        metadata: { name: `${name}-sli` },
        spec: {
          ratioMetric: {
            counter: true,
            good: prometheusQuery(renderPromSelector(goodSelector)),
            total: prometheusQuery(renderPromSelector(total)),
          },
        },
      },
      timeWindow: [{ duration: slo.window, isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ displayName: describe(slo), target: slo.target }],
    },
  };
}

/** The SLOs as one multi-document OpenSLO YAML file. */
export function toOpenSloYaml(
  slos: ServiceSlo[],
  cell: { name: string; tenant?: string },
): string {
  return slos
    .map(slo =>
      stringify(toOpenSlo(slo, cell), { lineWidth: 0, sortMapEntries: false }),
    )
    .join('---\n');
}
