import {
  PromSelector,
  renderPromSelector,
  ServiceSlo,
  sliCounters,
} from '@cellport/plugin-platform-common';

/** The label each part of a combined query is tagged with: `<objective index>:good|total`. */
export const PART_LABEL = 'cellport_sli';

/** `sum(increase(selector[window]))`: events counted over the window. */
const increase = (selector: PromSelector, window: string) =>
  `sum(increase(${renderPromSelector(selector)}[${window}]))`;

/**
 * The PromQL of an objective's good and total events over `window`. Every selector comes from
 * `sliCounters`, which parses the spec's selectors (plain series selectors, validated by the
 * catalog) and renders them back with the cell's matcher: no spec text reaches the query
 * unparsed, so a spec cannot inject PromQL.
 */
export function goodAndTotalQueries(
  slo: ServiceSlo,
  cell: string,
  window: string,
) {
  const { good, total } = sliCounters(slo, cell);
  let goodQuery: string;
  if ('selector' in good) {
    goodQuery = increase(good.selector, window);
  } else {
    // A threshold between two bucket bounds: linear between them, as the recording rules do.
    const upper = increase(good.upper, window);
    const fraction = Number(good.fraction.toFixed(6));
    goodQuery = good.lower
      ? `(${increase(good.lower, window)} + (${upper} - ${increase(
          good.lower,
          window,
        )}) * ${fraction})`
      : `(${upper} * ${fraction})`;
  }
  return { good: goodQuery, total: increase(total, window) };
}

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
      const { good, total } = goodAndTotalQueries(slo, cell, window);
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
