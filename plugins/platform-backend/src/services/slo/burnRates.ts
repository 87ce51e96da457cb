import type { SloAlertState } from '@cellport/plugin-platform-common';
/**
 * Multi-window, multi-burn-rate alerting as in the Google SRE workbook (chapter 5, "Alerting
 * on SLOs"): an alert fires when both its long and its short window burn the error budget
 * faster than its threshold; the short window makes it stop soon after the burn stops.
 */

/** The windows burn rates are computed over. */
export const BURN_WINDOWS = {
  '5m': 5 * 60_000,
  '30m': 30 * 60_000,
  '1h': 60 * 60_000,
  '6h': 6 * 60 * 60_000,
  '3d': 3 * 24 * 60 * 60_000,
} as const;
export type BurnWindow = keyof typeof BURN_WINDOWS;

/** The state of an SLO's alerts: a page wakes someone, a ticket waits for working hours. */
export type AlertState = SloAlertState;

export interface BurnRateAlertRule {
  severity: Exclude<AlertState, 'ok'>;
  longWindow: BurnWindow;
  shortWindow: BurnWindow;
  /** Burn rate both windows must exceed; 1 spends exactly the budget over the SLO window. */
  threshold: number;
}

/** 2% of a 30-day budget in 1 hour, 5% in 6 hours (page); 10% in 3 days (ticket). */
export const BURN_RATE_ALERT_RULES: BurnRateAlertRule[] = [
  { severity: 'page', longWindow: '1h', shortWindow: '5m', threshold: 14.4 },
  { severity: 'page', longWindow: '6h', shortWindow: '30m', threshold: 6 },
  { severity: 'ticket', longWindow: '3d', shortWindow: '6h', threshold: 1 },
];

export interface BurnRateAlert extends BurnRateAlertRule {
  firing: boolean;
}

/**
 * How fast a window spends the budget: its bad-event ratio over the ratio the objective
 * allows. 0 for a window without events.
 */
export function burnRate(bad: number, total: number, target: number): number {
  if (total <= 0) return 0;
  return bad / total / (1 - target);
}

export function evaluateAlerts(rates: Record<BurnWindow, number>): {
  alerts: BurnRateAlert[];
  state: AlertState;
} {
  const alerts = BURN_RATE_ALERT_RULES.map(rule => ({
    ...rule,
    firing:
      rates[rule.longWindow] > rule.threshold &&
      rates[rule.shortWindow] > rule.threshold,
  }));
  const firing = alerts.filter(a => a.firing);
  let state: AlertState = 'ok';
  if (firing.some(a => a.severity === 'page')) state = 'page';
  else if (firing.length > 0) state = 'ticket';
  return { alerts, state };
}
