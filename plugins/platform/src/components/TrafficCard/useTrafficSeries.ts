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

/**
 * The traffic summary of the whole range and of each of its buckets, in one request: the
 * backend cuts the range into equal parts and summarises each from its rollups.
 */
export function useTrafficSeries(range: TimeRange, scope: PlatformScope) {
  const api = useApi(platformApiRef);
  return useAsync(async (): Promise<{
    total: TrafficSummary;
    buckets: TrafficSummary[];
  }> => {
    const { buckets, ...total } = await api.getTrafficSeries(
      range,
      scope,
      TRAFFIC_BUCKETS,
    );
    return { total, buckets: buckets ?? [] };
  }, [api, range.from, range.to, scope.cell, scope.tenant, scope.agent]);
}
