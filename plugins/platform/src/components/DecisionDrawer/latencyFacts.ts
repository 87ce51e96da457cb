import { DecisionDetail } from '../../api';
import { formatMs } from '../format';

type Usage = NonNullable<DecisionDetail['usage']>;

/**
 * The drawer's latency rows, each saying what it measures so that they agree with each other:
 * a stream's upstream time runs to its last byte while time to first token runs from the
 * request's arrival, and time spent in failed attempts is theirs, not the gateway's.
 */
export function latencyFacts(
  usage: Usage,
  fallbacks: DecisionDetail['decision']['fallbacks'],
): Array<[string, string]> {
  const failedMs = fallbacks.reduce((sum, f) => sum + (f.latencyMs ?? 0), 0);
  const rows: Array<[string, string]> = [
    ['Total latency', formatMs(usage.totalLatencyMs)],
  ];
  if (fallbacks.length > 0)
    rows.push([
      'Failed attempts',
      `${formatMs(failedMs)} in ${fallbacks.length} attempt${
        fallbacks.length > 1 ? 's' : ''
      }`,
    ]);
  if (usage.upstreamLatencyMs === undefined) {
    rows.push([
      'Gateway overhead',
      'not measured: no route answered, the time went to the failed attempts',
    ]);
  } else {
    rows.push([
      usage.stream
        ? 'Upstream time (answering route, to the last byte)'
        : 'Upstream time (answering route)',
      formatMs(usage.upstreamLatencyMs),
    ]);
    rows.push([
      'Gateway overhead',
      formatMs(Math.max(0, usage.gatewayOverheadMs - failedMs)),
    ]);
  }
  if (usage.timeToFirstTokenMs !== undefined)
    rows.push([
      'Time to first token (from arrival at the gateway)',
      formatMs(usage.timeToFirstTokenMs),
    ]);
  return rows;
}
