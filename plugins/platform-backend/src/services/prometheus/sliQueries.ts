import { ServiceSlo, sliEventQueries } from '@cellport/plugin-platform-common';

/** The label each part of a combined query is tagged with: `<objective index>:good|total`. */
export const PART_LABEL = 'cellport_sli';

/**
 * One query for the good and total events of every objective over `window`, each part tagged
 * `<objective index>:good|total` in PART_LABEL, so one request serves a whole cell.
 */
export function combinedSliQuery(
  slos: ServiceSlo[],
  cell: string,
  window: string,
): string {
  const tag = (query: string, part: string) =>
    `label_replace(${query}, "${PART_LABEL}", "${part}", "", "")`;
  return slos
    .flatMap((slo, i) => {
      const { good, total } = sliEventQueries(slo, cell, window, 'increase');
      return [tag(good, `${i}:good`), tag(total, `${i}:total`)];
    })
    .join(' or ');
}

/**
 * A sample as a count: no series means no event counted (a service without traffic yet, or
 * all bad for `good`), and extrapolation never makes a count negative.
 */
export function countOf(value: number | undefined): number {
  return value === undefined || !Number.isFinite(value)
    ? 0
    : Math.max(0, value);
}
