import { useCallback, useEffect, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { TimeRange } from '../../api';

/** The ranges every view offers; the key is what the URL carries (`?range=24h`). */
export const TIME_RANGES = {
  '1h': { label: 'Last hour', ms: 3600_000 },
  '6h': { label: 'Last 6 hours', ms: 6 * 3600_000 },
  '24h': { label: 'Last 24 hours', ms: 24 * 3600_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
} as const;

export type TimeRangeKey = keyof typeof TIME_RANGES;
export const DEFAULT_TIME_RANGE: TimeRangeKey = '24h';
const MINUTE = 60_000;

function isTimeRangeKey(value: string | null): value is TimeRangeKey {
  return value !== null && value in TIME_RANGES;
}

/** The range ending now, rounded up to the minute so that re-renders ask for the same data. */
export function timeRangeOf(key: TimeRangeKey, now = Date.now()): TimeRange {
  const to = Math.ceil(now / MINUTE) * MINUTE;
  return {
    from: new Date(to - TIME_RANGES[key].ms).toISOString(),
    to: new Date(to).toISOString(),
  };
}

/** Where the last picked range is kept for the browser tab's session. */
const STORAGE_KEY = 'cellport.platform.timeRange';

function rememberedKey(): TimeRangeKey | undefined {
  try {
    const value = window.sessionStorage.getItem(STORAGE_KEY);
    return isTimeRangeKey(value) ? value : undefined;
  } catch {
    // Storage can be off (privacy settings); the URL alone still works.
    return undefined;
  }
}

function remember(key: TimeRangeKey) {
  try {
    window.sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // As above: without storage, only the URL keeps the range.
  }
}

/**
 * The time range of the page, kept in the URL (`?range=7d`) so a pasted link shows the same
 * view. Every view on a page reads this one hook, so one picker drives them all.
 *
 * Backstage's entity tabs link without the query, so a tab opened without `range` takes the
 * range last picked or linked in this browser tab, and writes it into its own URL: switching
 * Overview → Cost → Routing keeps the range, and each tab's URL still says what it shows.
 */
export function useTimeRange() {
  const [params, setParams] = useSearchParams();
  const raw = params.get('range');
  const inUrl = isTimeRangeKey(raw) ? raw : undefined;
  const key = inUrl ?? rememberedKey() ?? DEFAULT_TIME_RANGE;
  const range = useMemo(() => timeRangeOf(key), [key]);

  const writeToUrl = useCallback(
    (next: TimeRangeKey) =>
      setParams(
        current => {
          const updated = new URLSearchParams(current);
          updated.set('range', next);
          return updated;
        },
        { replace: true },
      ),
    [setParams],
  );

  useEffect(() => {
    if (inUrl) remember(inUrl);
    else if (key !== DEFAULT_TIME_RANGE) writeToUrl(key);
  }, [inUrl, key, writeToUrl]);

  const setKey = (next: TimeRangeKey) => {
    remember(next);
    writeToUrl(next);
  };
  return { key, range, label: TIME_RANGES[key].label, setKey };
}
