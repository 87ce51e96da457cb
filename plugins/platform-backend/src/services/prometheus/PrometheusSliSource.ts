import { Config } from '@backstage/config';
import {
  PromSelector,
  renderPromSelector,
  ServiceSlo,
  sliCounters,
  sloState,
  SloStatus,
} from '@cellport/plugin-platform-common';
import { Clock, systemClock } from '../clock';
import {
  BURN_WINDOWS,
  burnRate,
  BurnWindow,
  evaluateAlerts,
} from '../slo/burnRates';
import { budgetOf } from '../slo/SloEngine';
import { PrometheusQueryClient } from './PrometheusQueryClient';

const DAY_MS = 24 * 60 * 60_000;
const SLO_WINDOW_MS = { '28d': 28 * DAY_MS, '30d': 30 * DAY_MS } as const;
const DEFAULT_TIMEOUT_SECONDS = 10;
/** The label each part of a combined query is tagged with: `<objective index>:good|total`. */
const PART_LABEL = 'cellport_sli';

interface GoodTotal {
  good: number;
  total: number;
}

/** `sum(increase(selector[window]))`: events counted over the window. */
const increase = (selector: PromSelector, window: string) =>
  `sum(increase(${renderPromSelector(selector)}[${window}]))`;

/**
 * The PromQL of an objective's good and total events over `window`. Every selector comes from
 * `sliCounters`, which parses the spec's selectors (plain series selectors, validated by the
 * catalog) and renders them back with the cell's matcher: no spec text reaches the query
 * unparsed, so a spec cannot inject PromQL.
 */
function goodAndTotalQueries(slo: ServiceSlo, cell: string, window: string) {
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
 * SLIs, error budgets, burn rates and alert states of objectives whose SLIs live in Prometheus,
 * in the shape the portal's own engine gives the gateway's (`SloStatus`), from the same rules
 * (`burnRates.ts`, `sloState`). Counts are `increase()` over the SLO window and over each
 * burn-rate window, evaluated at the one instant `clock.now()`, so every window ends together.
 */
export class PrometheusSliSource {
  constructor(
    private readonly client: PrometheusQueryClient,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * The source `platform.prometheus` configures, or undefined without `baseUrl`. A malformed
   * setting fails start-up, naming the key.
   */
  static fromConfig(
    config: Config,
    options: { clock?: Clock } = {},
  ): PrometheusSliSource | undefined {
    const settings = config.getOptionalConfig('platform.prometheus');
    const baseUrl = settings?.getOptionalString('baseUrl');
    if (!baseUrl) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new Error(
        `platform.prometheus.baseUrl must be an http(s) URL such as http://prometheus:9090, not ${JSON.stringify(
          baseUrl,
        )}`,
      );
    }
    const timeoutSeconds =
      settings?.getOptionalNumber('timeoutSeconds') ?? DEFAULT_TIMEOUT_SECONDS;
    if (!(timeoutSeconds > 0)) {
      throw new Error(
        `platform.prometheus.timeoutSeconds must be a positive number of seconds, not ${timeoutSeconds}`,
      );
    }
    return new PrometheusSliSource(
      new PrometheusQueryClient(baseUrl, timeoutSeconds * 1000),
      options.clock,
    );
  }

  get baseUrl(): string {
    return this.client.baseUrl;
  }

  /**
   * The status of each objective in one cell, in order. Throws PrometheusUnavailableError when
   * Prometheus cannot be read. One query per window (the SLO windows and the five burn-rate
   * windows) carries every objective's good and total counts, tagged apart.
   */
  async evaluate(slos: ServiceSlo[], cell: string): Promise<SloStatus[]> {
    if (slos.length === 0) return [];
    const now = this.clock.now();
    const burnWindows = Object.keys(BURN_WINDOWS) as BurnWindow[];
    const windows = [...new Set([...slos.map(s => s.window), ...burnWindows])];
    const counts = new Map(
      await Promise.all(
        windows.map(
          async window =>
            [window, await this.countsOver(slos, cell, window, now)] as const,
        ),
      ),
    );
    return slos.map((slo, i) => {
      const window = counts.get(slo.window)![i];
      const burnRates = Object.fromEntries(
        burnWindows.map(w => {
          const { good, total } = counts.get(w)![i];
          return [w, burnRate(total - good, total, slo.target)];
        }),
      ) as Record<BurnWindow, number>;
      const { alerts, state } = evaluateAlerts(burnRates);
      const sli = window.total > 0 ? window.good / window.total : null;
      const errorBudget = budgetOf(slo, window);
      return {
        objective: {
          name: slo.name,
          indicator: slo.indicator,
          target: slo.target,
          window: slo.window,
          ...(slo.thresholdMs !== undefined
            ? { thresholdMs: slo.thresholdMs }
            : {}),
        },
        source: slo.source,
        windowStart: new Date(now - SLO_WINDOW_MS[slo.window]).toISOString(),
        windowEnd: new Date(now).toISOString(),
        totalEvents: window.total,
        goodEvents: window.good,
        sli,
        meetingObjective: sli === null || sli >= slo.target,
        errorBudget,
        burnRates,
        alerts,
        alertState: state,
        state: sloState({
          totalEvents: window.total,
          remainingFraction: errorBudget.remainingFraction,
          alertState: state,
        }),
      };
    });
  }

  /** Good and total events of each objective over `window`, by the objectives' index. */
  private async countsOver(
    slos: ServiceSlo[],
    cell: string,
    window: string,
    now: number,
  ): Promise<GoodTotal[]> {
    const tag = (query: string, part: string) =>
      `label_replace(${query}, "${PART_LABEL}", "${part}", "", "")`;
    const query = slos
      .flatMap((slo, i) => {
        const { good, total } = goodAndTotalQueries(slo, cell, window);
        return [tag(good, `${i}:good`), tag(total, `${i}:total`)];
      })
      .join(' or ');
    const samples = await this.client.instantQuery(query, now);
    const value = new Map(
      samples.map(s => [s.labels[PART_LABEL], s.value] as const),
    );
    const read = (part: string) => {
      const v = value.get(part);
      // No series: no event counted (a service without traffic yet, or all bad for `good`).
      return v === undefined || !Number.isFinite(v) ? 0 : Math.max(0, v);
    };
    return slos.map((_, i) => {
      const total = read(`${i}:total`);
      // Series extrapolate apart, so good may come out a hair above total: cap it.
      return { total, good: Math.min(read(`${i}:good`), total) };
    });
  }
}
