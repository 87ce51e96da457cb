import { useApi } from '@backstage/frontend-plugin-api';
import useAsync from 'react-use/esm/useAsync';
import {
  platformApiRef,
  PlatformScope,
  TimeRange,
  TrafficSummary,
} from '../../api';

/** Points per chart: enough to see a trend, few enough to ask for in one go. */
export const TRAFFIC_BUCKETS = 12;

/** Cuts a range into equal buckets, oldest first. */
export function splitRange(
  range: TimeRange,
  buckets = TRAFFIC_BUCKETS,
): TimeRange[] {
  const from = Date.parse(range.from);
  const step = (Date.parse(range.to) - from) / buckets;
  return Array.from({ length: buckets }, (_, i) => ({
    from: new Date(from + i * step).toISOString(),
    to: new Date(from + (i + 1) * step).toISOString(),
  }));
}

/**
 * The traffic summary of the whole range and of each of its buckets. The backend's /traffic
 * summarises one range from its minute rollups, so a series is one summary per bucket.
 */
export function useTrafficSeries(range: TimeRange, scope: PlatformScope) {
  const api = useApi(platformApiRef);
  return useAsync(async (): Promise<{
    total: TrafficSummary;
    buckets: TrafficSummary[];
    ranges: TimeRange[];
  }> => {
    const ranges = splitRange(range);
    const [total, ...buckets] = await Promise.all([
      api.getTraffic(range, scope),
      ...ranges.map(r => api.getTraffic(r, scope)),
    ]);
    return { total, buckets, ranges };
  }, [api, range.from, range.to, scope.cell, scope.tenant, scope.agent]);
}
