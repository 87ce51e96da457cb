/**
 * Seed 004's alert severities, and where Alertmanager sends each: P0 and P1 page someone, P2
 * opens a ticket, P3 only shows on the dashboard.
 */
export const ALERT_SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export type AlertRoute = 'page' | 'ticket' | 'dashboard';

export const SEVERITY_ROUTES: Record<AlertSeverity, AlertRoute> = {
  P0: 'page',
  P1: 'page',
  P2: 'ticket',
  P3: 'dashboard',
};

/** The windows SLI error ratios are recorded over: every window a burn-rate alert reads. */
export const SLI_WINDOWS = ['5m', '30m', '1h', '6h', '3d'] as const;
export type SliWindow = (typeof SLI_WINDOWS)[number];

export interface BurnRateAlertPolicy {
  /** The Prometheus alert name. */
  alert: string;
  severity: AlertSeverity;
  longWindow: SliWindow;
  shortWindow: SliWindow;
  /** How many times faster than the objective allows both windows must spend the budget. */
  burnRate: number;
  /** The share of a 30-day budget the long window spends at that rate, for people to read. */
  budgetSpent: string;
}

/**
 * Multi-window, multi-burn-rate alerting as in the Google SRE workbook ("Alerting on SLOs"):
 * an alert fires while both its long and its short window burn faster than its rate; the
 * long window keeps a brief blip from paging, the short one lets the alert stop soon after the
 * burn does. The fastest burn is the most severe.
 */
export const BURN_RATE_ALERTS: readonly BurnRateAlertPolicy[] = [
  {
    alert: 'CellportSloFastBurn',
    severity: 'P0',
    longWindow: '1h',
    shortWindow: '5m',
    burnRate: 14.4,
    budgetSpent: '2% of the 30-day error budget in 1 hour',
  },
  {
    alert: 'CellportSloSustainedBurn',
    severity: 'P1',
    longWindow: '6h',
    shortWindow: '30m',
    burnRate: 6,
    budgetSpent: '5% of the 30-day error budget in 6 hours',
  },
  {
    alert: 'CellportSloSlowBurn',
    severity: 'P2',
    longWindow: '3d',
    shortWindow: '6h',
    burnRate: 1,
    budgetSpent: '10% of the 30-day error budget in 3 days',
  },
];
