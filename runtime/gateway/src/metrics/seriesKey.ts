/** A label the caller left out: it is absent from the series, which differs from "". */
const ABSENT = '\u0001';

/**
 * The key of a label set, from the values of `labelNames` in their order: one string, built
 * without sorting or copying the labels, so a series is found with one Map lookup. Label
 * values are ids from the desired state and fixed words, never holding `\u0000`.
 */
export function seriesKey(
  labelNames: readonly string[],
  labels: Readonly<Record<string, string | undefined>>,
): string {
  let key = '';
  for (const name of labelNames) {
    const value = labels[name];
    key += `${value === undefined ? ABSENT : value}\u0000`;
  }
  return key;
}

/** The labels of a new series: only those named, as given (absent ones left out). */
export function seriesLabels(
  labelNames: readonly string[],
  labels: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const own: Record<string, string> = {};
  for (const name of labelNames) {
    const value = labels[name];
    if (value !== undefined) own[name] = value;
  }
  return own;
}
