import { Config } from '@backstage/config';
import {
  ServiceSlo,
  sloState,
  SloStatus,
} from '@cellport/plugin-platform-common';
import {
  BURN_WINDOWS,
  burnRate,
  BurnWindow,
  evaluateAlerts,
} from '../slo/burnRates';
import { burnDown, BurnDownStep } from '../slo/burnDown';
import { budgetOf } from '../slo/SloEngine';
import { PrometheusQueryClient } from './PrometheusQueryClient';
import { combinedSliQuery, countOf, PART_LABEL } from './sliQueries';
import { Clock, systemClock } from '@cellport/plugin-platform-node';

const DAY_MS = 24 * 60 * 60_000;
const SLO_WINDOW_MS = { '28d': 28 * DAY_MS, '30d': 30 * DAY_MS } as const;
const DEFAULT_TIMEOUT_SECONDS = 10;
/** Points of a burn-down chart: enough for its course, few enough for one cheap range query. */
export const BURN_DOWN_POINTS = 100;

interface GoodTotal {
  good: number;
  total: number;
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
   * windows) carries every objective's good and total counts, tagged apart; with
   * `budgetSeries` (the cards'; the cell list and the deploy gate need only the state), one
   * range query per SLO window adds each objective's burn-down, as the engine's cards have.
   */
  async evaluate(
    slos: ServiceSlo[],
    cell: string,
    options: { budgetSeries?: boolean } = {},
  ): Promise<SloStatus[]> {
    if (slos.length === 0) return [];
    const now = this.clock.now();
    const burnWindows = Object.keys(BURN_WINDOWS) as BurnWindow[];
    const sloWindows = [...new Set(slos.map(s => s.window))];
    const windows = [...new Set([...sloWindows, ...burnWindows])];
    const stepReads = options.budgetSeries
      ? sloWindows.map(async window => {
          const of = slos.filter(s => s.window === window);
          const steps = await this.burnDownStepsOver(of, cell, window, now);
          return of.map((slo, i) => [slo, steps[i]] as const);
        })
      : [];
    // A failed read fails the evaluation once, through the awaits below; not as unhandled too.
    stepReads.forEach(read => read.catch(() => undefined));
    const counts = new Map(
      await Promise.all(
        windows.map(
          async window =>
            [window, await this.countsOver(slos, cell, window, now)] as const,
        ),
      ),
    );
    const stepsOf = new Map((await Promise.all(stepReads)).flat());
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
        ...(stepsOf.has(slo)
          ? { budgetSeries: burnDown(slo, window.total, stepsOf.get(slo)!) }
          : {}),
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
    const samples = await this.client.instantQuery(
      combinedSliQuery(slos, cell, window),
      now,
    );
    const value = new Map(
      samples.map(s => [s.labels[PART_LABEL], s.value] as const),
    );
    return slos.map((_, i) => capped(part => value.get(part), i));
  }

  /**
   * Good and total events of each objective (all of one SLO `window`) in BURN_DOWN_POINTS
   * steps ending at `now`: one range query, each step counting its own stretch (`increase`
   * over the step), for the engine's `burnDown` to add up against the window's total.
   */
  private async burnDownStepsOver(
    slos: ServiceSlo[],
    cell: string,
    window: ServiceSlo['window'],
    now: number,
  ): Promise<BurnDownStep[][]> {
    const windowMs = SLO_WINDOW_MS[window];
    const stepSeconds = Math.ceil(windowMs / BURN_DOWN_POINTS / 1000);
    const stepMs = stepSeconds * 1000;
    const series = await this.client.rangeQuery(
      combinedSliQuery(slos, cell, `${stepSeconds}s`),
      { startMs: now - windowMs + stepMs, endMs: now, stepSeconds },
    );
    const byPart = new Map(
      series.map(s => [s.labels[PART_LABEL], new Map(s.values)] as const),
    );
    const ends = Array.from(
      { length: Math.floor(windowMs / stepMs) },
      (_, k) => now - windowMs + (k + 1) * stepMs,
    );
    return slos.map((_, i) =>
      ends.map(endMs => ({
        endMs,
        ...capped(part => byPart.get(part)?.get(endMs), i),
      })),
    );
  }
}

/** Objective `i`'s counts from tagged parts; series extrapolate apart, so good is capped. */
function capped(
  valueOf: (part: string) => number | undefined,
  i: number,
): GoodTotal {
  const total = countOf(valueOf(`${i}:total`));
  return { total, good: Math.min(countOf(valueOf(`${i}:good`)), total) };
}
