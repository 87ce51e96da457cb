import {
  LatencyMetric,
  SloObjective,
  sloState,
  SloStatus as ApiSloStatus,
} from '@cellport/plugin-platform-common';
import {
  countAtOrBelow,
  HISTOGRAM_BUCKET_COUNT,
  histogramColumn,
  histogramCount,
  HistogramMetric,
  percentile,
} from '../rollups/histogram';
import {
  RollupFilter,
  RollupStore,
  SummaryPoint,
} from '../rollups/RollupStore';
import { DAY_MS, MINUTE_MS } from '../rollups/timeRanges';
import {
  addSummaries,
  emptySummary,
  TrafficSummary,
} from '../rollups/TrafficSummary';
import {
  BURN_WINDOWS,
  burnRate,
  BurnWindow,
  evaluateAlerts,
} from './burnRates';
import { burnDown } from './burnDown';
import { Clock } from '@cellport/plugin-platform-node';

const METRIC_HISTOGRAMS: Record<LatencyMetric, HistogramMetric> = {
  'gateway-overhead': 'overhead',
  upstream: 'upstream',
  'time-to-first-token': 'ttft',
  'router-decision': 'router',
};

const WINDOW_MS = { '28d': 28 * DAY_MS, '30d': 30 * DAY_MS } as const;

/** Burn windows up to this long are summed from one minute series. */
const RECENT_MS = BURN_WINDOWS['6h'];

/** The minute points from the bucket holding `from` on, added up. */
function sumSince(points: SummaryPoint[], from: number): TrafficSummary {
  // As every rollup read counts them: a minute counts in the window that holds its start.
  const first = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
  return points
    .filter(p => p.bucket! >= first)
    .reduce((sum, p) => addSummaries(sum, p.summary), emptySummary());
}

/**
 * The error budget of an SLO over its window, in events. `remainingFraction` is 1 for an
 * untouched budget, 0 when it is spent and negative when overspent.
 */
type ErrorBudget = Required<ApiSloStatus['errorBudget']>;

/**
 * Where one SLO stands: the API's `SloStatus` (openapi.yaml) with what the document leaves
 * optional and the engine always computes.
 */
export type SloStatus = ApiSloStatus &
  Required<
    Pick<
      ApiSloStatus,
      'windowStart' | 'windowEnd' | 'meetingObjective' | 'budgetSeries'
    >
  > & { errorBudget: ErrorBudget };

interface GoodTotal {
  good: number;
  total: number;
}

/** Good and total events of an objective in a summary. */
export function goodAndTotal(
  objective: SloObjective,
  summary: TrafficSummary,
): GoodTotal {
  if (objective.indicator === 'availability') {
    return {
      total: summary.requests,
      good: summary.requests - summary.byOutcome.error,
    };
  }
  const histogram =
    summary.histograms[
      METRIC_HISTOGRAMS[objective.metric ?? 'gateway-overhead']
    ];
  return {
    total: histogramCount(histogram),
    good: countAtOrBelow(histogram, objective.thresholdMs ?? Infinity),
  };
}

export function budgetOf(
  objective: SloObjective,
  { good, total }: GoodTotal,
): ErrorBudget {
  const allowed = (1 - objective.target) * total;
  const consumed = total - good;
  const consumedFraction = allowed > 0 ? consumed / allowed : 0;
  return {
    allowedBadEvents: allowed,
    consumedBadEvents: consumed,
    remainingBadEvents: allowed - consumed,
    consumedFraction,
    remainingFraction: 1 - consumedFraction,
  };
}

/**
 * Computes SLIs, error budgets, burn rates and alert states from the rollups. Summaries are
 * read once per distinct window and shared by every objective of the scope.
 */
export class SloEngine {
  constructor(
    private readonly rollups: RollupStore,
    private readonly clock: Clock,
  ) {}

  async evaluate(
    objectives: Array<{
      objective: SloObjective;
      source: 'entity' | 'default';
    }>,
    filter: RollupFilter,
  ): Promise<SloStatus[]> {
    const now = this.clock.now();
    // Only the sums these objectives read: requests by outcome and their metrics' histograms.
    const metrics = new Set(
      objectives
        .filter(o => o.objective.indicator === 'latency')
        .map(o => METRIC_HISTOGRAMS[o.objective.metric ?? 'gateway-overhead']),
    );
    const columns = [
      'requests',
      ...[...metrics].flatMap(metric =>
        Array.from({ length: HISTOGRAM_BUCKET_COUNT }, (_, i) =>
          histogramColumn(metric, i),
        ),
      ),
    ];
    const read = (range: number) => ({ from: now - range, to: now });
    // Every read is started at once, so PostgreSQL answers them on parallel connections.
    // The short burn windows (up to 6h) are sums of one minute series; the 3-day window and
    // the SLO windows are read from days, hours and minutes.
    const windows = Object.keys(BURN_WINDOWS) as BurnWindow[];
    const sloWindows = [
      ...new Set(objectives.map(o => WINDOW_MS[o.objective.window])),
    ];
    const recentRead = this.rollups.series(
      read(RECENT_MS),
      'minute',
      filter,
      undefined,
      columns,
    );
    const longReads = new Map(
      [
        ...sloWindows,
        ...windows.map(w => BURN_WINDOWS[w]).filter(ms => ms > RECENT_MS),
      ].map(
        ms => [ms, this.rollups.summarize(read(ms), filter, columns)] as const,
      ),
    );
    const seriesReads = new Map(
      sloWindows.map(
        ms =>
          [
            ms,
            this.rollups.series(read(ms), 'day', filter, undefined, columns),
          ] as const,
      ),
    );
    // A failed read fails the report once, through the await below; not as unhandled too.
    for (const pending of [
      recentRead,
      ...longReads.values(),
      ...seriesReads.values(),
    ]) {
      pending.catch(() => undefined);
    }
    const recent = await recentRead;
    const burnSummaries = await Promise.all(
      windows.map(w =>
        BURN_WINDOWS[w] <= RECENT_MS
          ? sumSince(recent, now - BURN_WINDOWS[w])
          : longReads.get(BURN_WINDOWS[w])!,
      ),
    );
    const summaryOver = (ms: number) => longReads.get(ms)!;

    const results: SloStatus[] = [];
    for (const { objective, source } of objectives) {
      const windowMs = WINDOW_MS[objective.window];
      const window = goodAndTotal(objective, await summaryOver(windowMs));
      const burnRates = Object.fromEntries(
        windows.map((w, i) => {
          const { good, total } = goodAndTotal(objective, burnSummaries[i]);
          return [w, burnRate(total - good, total, objective.target)];
        }),
      ) as Record<BurnWindow, number>;
      const { alerts, state } = evaluateAlerts(burnRates);
      const sli = window.total > 0 ? window.good / window.total : null;
      const errorBudget = budgetOf(objective, window);
      results.push({
        objective,
        source,
        windowStart: new Date(now - windowMs).toISOString(),
        windowEnd: new Date(now).toISOString(),
        totalEvents: window.total,
        goodEvents: window.good,
        sli,
        meetingObjective: sli === null || sli >= objective.target,
        errorBudget,
        latency:
          objective.indicator === 'latency'
            ? latencyOf(objective, await summaryOver(windowMs))
            : undefined,
        burnRates,
        alerts,
        alertState: state,
        state: sloState({
          totalEvents: window.total,
          remainingFraction: errorBudget.remainingFraction,
          alertState: state,
        }),
        // The series' first and last days count only their part inside the window, so the
        // last point is the window's budget above; the last day ends now.
        budgetSeries: burnDown(
          objective,
          window.total,
          (await seriesReads.get(windowMs)!).map(day => ({
            endMs: Math.min(day.bucket! + DAY_MS, now),
            ...goodAndTotal(objective, day.summary),
          })),
        ),
      });
    }
    return results;
  }
}

function latencyOf(objective: SloObjective, summary: TrafficSummary) {
  const histogram =
    summary.histograms[
      METRIC_HISTOGRAMS[objective.metric ?? 'gateway-overhead']
    ];
  return {
    p50: percentile(histogram, 0.5),
    p95: percentile(histogram, 0.95),
    p99: percentile(histogram, 0.99),
  };
}
