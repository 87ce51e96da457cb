import {
  BURN_RATE_ALERTS,
  BurnRateAlertPolicy,
  PromSelector,
  renderPromSelector,
  ServiceSlo,
  SEVERITY_ROUTES,
  sliCounters,
} from '@cellport/plugin-platform-common';
import { PrometheusRuleGroup, sliErrorRatioRecord } from '../renderSloRules';

/** Requests a minute in every synthetic scenario. */
const TRAFFIC = 1000;

/** A stretch of minutes during which `badShare` of the requests are bad. */
interface Phase {
  minutes: number;
  badShare: number;
}

/** The concrete labels of a synthetic series that a selector matches. */
function seriesLabels(selector: PromSelector): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of selector.matchers) {
    if (m.op === '=') labels[m.label] = m.value;
    // The renderer's whole-number bucket bound, `1(\\.0)?`: the client writes "1".
    else if (m.op === '=~' && m.label === 'le') {
      labels.le = m.value.replace('(\\\\.0)?', '');
    } else if (m.op === '=~') {
      throw new Error(
        `No synthetic series for a regex matcher: ${renderPromSelector(
          selector,
        )}`,
      );
    }
    // A series without the label satisfies != and !~ matchers.
  }
  return labels;
}

function seriesName(metric: string, labels: Record<string, string>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${metric}{${body}}`;
}

/** A counter over the phases, in promtool's expanding notation (`a+bxn` per phase). */
function counterValues(phases: Phase[], perMinute: (p: Phase) => number) {
  let value = 0;
  const segments: string[] = [];
  phases.forEach((phase, i) => {
    const step = Number(perMinute(phase).toFixed(6));
    // The first phase starts from its first sample; later ones go on from the last.
    const start = i === 0 ? value : Number((value + step).toFixed(6));
    const samples = i === 0 ? phase.minutes + 1 : phase.minutes;
    segments.push(`${start}+${step}x${samples - 1}`);
    value = Number((start + step * (samples - 1)).toFixed(6));
  });
  return segments.join(' ');
}

/**
 * The input series that make an SLO's SLI bad for `badShare` of the requests, phase by phase,
 * built from the same counters its rules read: good and total events, or buckets and count.
 */
export function syntheticSeries(
  slo: ServiceSlo,
  cell: string,
  phases: Phase[],
): Array<{ series: string; values: string }> {
  const { good, total } = sliCounters(slo, cell);
  const goodSelectors =
    'selector' in good
      ? [good.selector]
      : [good.lower, good.upper].filter((s): s is PromSelector => !!s);
  const goodValues = counterValues(phases, p => TRAFFIC * (1 - p.badShare));
  const series = goodSelectors.map(selector => ({
    series: seriesName(selector.metric, seriesLabels(selector)),
    values: goodValues,
  }));
  const [first] = goodSelectors;
  if (first.metric !== total.metric) {
    series.push({
      series: seriesName(total.metric, seriesLabels(total)),
      values: counterValues(phases, () => TRAFFIC),
    });
    return series;
  }
  // Good and total are one metric: the bad requests are a series that the total's matchers
  // take and the good's refuse.
  const goodLabels = seriesLabels(first);
  const split = first.matchers.find(
    m =>
      !total.matchers.some(t => t.label === m.label && t.op === m.op) &&
      (m.op === '=' || m.op === '!='),
  );
  if (!split) {
    throw new Error(
      `Good and total select the same series: ${renderPromSelector(first)}`,
    );
  }
  series.push({
    series: seriesName(total.metric, {
      ...seriesLabels(total),
      [split.label]:
        split.op === '!=' ? split.value : `not-${goodLabels[split.label]}`,
    }),
    values: counterValues(phases, p => TRAFFIC * p.badShare),
  });
  return series;
}

/** The cell's labels every alert of its SLOs carries. */
export interface ExpectedAlertLabels {
  cell: string;
  tenant?: string;
}

/** Each scenario's bad share of an SLO's requests, from its error budget, phase by phase. */
type Scenario = (budget: number) => Phase[];

/**
 * promtool unit tests of a cell's rule file: each scenario feeds the counters of every SLO of
 * the cell at once (each SLO reads series of its own), and says at given minutes which
 * burn-rate alerts fire for each SLO, with their labels, and which stay silent. Expected
 * annotations are the rule's own (static) text; labels are stated here.
 */
export function sloAlertTests(
  slos: ServiceSlo[],
  cell: ExpectedAlertLabels,
  rules: PrometheusRuleGroup[],
): unknown[] {
  const annotationsOf = (alert: string, slo: string) =>
    rules
      .flatMap(g => g.rules)
      .find(r => 'alert' in r && r.alert === alert && r.labels.slo === slo)!;
  const expected = (policy: BurnRateAlertPolicy, slo: ServiceSlo) => {
    const rule = annotationsOf(policy.alert, slo.name);
    return {
      exp_labels: {
        cell: cell.cell,
        service: slo.service,
        slo: slo.name,
        ...(cell.tenant ? { tenant: cell.tenant } : {}),
        owner: slo.owner,
        severity: policy.severity,
        route: SEVERITY_ROUTES[policy.severity],
      },
      exp_annotations: 'annotations' in rule ? rule.annotations : {},
    };
  };
  /** At `minute`, the alerts named in `firing` fire for every SLO; the others for none. */
  const alertsAt = (
    minute: number,
    firing: string[],
    policies: readonly BurnRateAlertPolicy[] = BURN_RATE_ALERTS,
  ) =>
    policies.map(policy => ({
      eval_time: `${minute}m`,
      alertname: policy.alert,
      exp_alerts: firing.includes(policy.alert)
        ? slos.map(slo => expected(policy, slo))
        : [],
    }));
  const inputs = (scenario: Scenario) => {
    const series = slos.flatMap(slo =>
      syntheticSeries(slo, cell.cell, scenario(1 - slo.target)),
    );
    const names = series.map(s => s.series);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice)
      throw new Error(`Two SLOs of the cell read one series: ${twice}`);
    return series;
  };
  const test = (name: string, scenario: Scenario, evals: unknown[]) => ({
    name: `${cell.cell}: ${name}`,
    interval: '1m',
    input_series: inputs(scenario),
    alert_rule_test: evals,
  });
  const [fast, sustained, slow] = BURN_RATE_ALERTS.map(p => p.alert);
  const pages = BURN_RATE_ALERTS.filter(
    p => SEVERITY_ROUTES[p.severity] === 'page',
  );

  // A blip: after half an hour of clean traffic, one minute that spends 100 minutes' worth of
  // budget (all of it bad, where the budget is larger). The 5 m window burns past 14.4x on
  // its own where one minute can; the hour sees about 3x, so nothing pages.
  const blipAt = 30;
  const blip = test(
    'a blip shorter than the 5m window pages nobody',
    budget => [
      { minutes: blipAt, badShare: 0 },
      { minutes: 1, badShare: Math.min(1, 100 * budget) },
      { minutes: 5, badShare: 0 },
    ],
    [blipAt + 1, blipAt + 3, blipAt + 5].flatMap(m => alertsAt(m, [], pages)),
  );
  const shortBurners = slos.filter(
    slo => Math.min(1, 100 * (1 - slo.target)) / 5 > 14.4 * (1 - slo.target),
  );
  Object.assign(blip, {
    // The short window alone does burn past the page's rate: the long one keeps it silent.
    promql_expr_test: shortBurners.map(slo => ({
      expr: `${sliErrorRatioRecord('5m')}{cell="${cell.cell}",service="${
        slo.service
      }",slo="${slo.name}"} > bool (14.4 * (1 - ${slo.target}))`,
      eval_time: `${blipAt + 2}m`,
      exp_samples: [
        {
          labels: `{cell="${cell.cell}",service="${slo.service}",slo="${slo.name}"}`,
          value: 1,
        },
      ],
    })),
  });
  return [
    test(
      'a fast burn (20x) pages, and tickets',
      budget => [{ minutes: 12, badShare: Math.min(1, 20 * budget) }],
      alertsAt(10, [fast, sustained, slow]),
    ),
    // Burn rates are ratios of rates: a steady burn shows at its rate in every window as soon
    // as there are samples, so twenty minutes tell the alerts apart.
    test(
      'a slow burn (3x) opens a ticket only',
      budget => [{ minutes: 20, badShare: 3 * budget }],
      [...alertsAt(5, [slow]), ...alertsAt(20, [slow])],
    ),
    test(
      'a healthy SLI (0.5x) stays silent',
      budget => [{ minutes: 20, badShare: 0.5 * budget }],
      [...alertsAt(5, []), ...alertsAt(20, [])],
    ),
    blip,
  ];
}
