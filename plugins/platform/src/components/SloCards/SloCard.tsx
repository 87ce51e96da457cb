import { InfoCard } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Link } from '@backstage/core-components';
import { AlertState, SloStatus } from '../../api';
import { LineChart } from '../charts';
import { bucketLabel, readerTimeZone } from '../bucketLabel';
import {
  formatBurnRate,
  formatBudgetLeft,
  formatCount,
  formatMs,
  formatPercent,
} from '../format';
import { AlertStateChip, SloStateChip } from '../StateChips';

const DAY_MS = 24 * 3600_000;

/** A burn-rate window's state; without traffic no window has a rate to judge: "no data". */
function windowState(
  slo: SloStatus,
  alert: SloStatus['alerts'][number],
): AlertState | undefined {
  if (slo.totalEvents === 0) return undefined;
  return alert.firing ? alert.severity : 'ok';
}

/** What an objective promises; a Prometheus latency objective names no gateway metric. */
export function objectiveText({ objective }: Pick<SloStatus, 'objective'>) {
  const target = formatPercent(objective.target);
  const metric = objective.metric ? ` with ${objective.metric}` : '';
  return objective.indicator === 'latency'
    ? `${target} of requests${metric} under ${formatMs(
        objective.thresholdMs,
      )} over ${objective.window}`
    : `${target} of requests served without a platform error over ${objective.window}`;
}

/** The explorer's range that covers a firing alert's long window, or the whole SLO window. */
const RANGE_OF_WINDOW: Record<string, string> = {
  '1h': '1h',
  '6h': '6h',
  '3d': '7d',
};

/**
 * Where the requests that burned an SLO's budget are: the entity's Routing tab over the
 * firing alert's long window (the SLO's window when the budget is spent and no alert fires),
 * showing failed requests for an availability objective.
 */
export function burnedDecisionsLink(slo: SloStatus): string | undefined {
  if (slo.state !== 'burning' && slo.state !== 'exhausted') return undefined;
  const firing =
    slo.alerts.find(a => a.firing && a.severity === 'page') ??
    slo.alerts.find(a => a.firing);
  return decisionsInWindowLink(firing?.longWindow, slo.objective.indicator);
}

/**
 * The entity's Routing tab over an alert's long window (none known: the SLO's 30 days),
 * showing failed requests when the objective is availability.
 */
export function decisionsInWindowLink(
  longWindow: string | undefined,
  indicator: 'availability' | 'latency' | undefined,
): string {
  const params = new URLSearchParams({
    range: (longWindow && RANGE_OF_WINDOW[longWindow]) ?? '30d',
  });
  if (indicator === 'availability') params.set('outcome', 'error');
  return `../routing?${params}`;
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <Box mr={4} mb={1}>
      <Typography variant="caption" color="textSecondary" component="div">
        {label}
      </Typography>
      <Typography variant="h5" component="div">
        {value}
      </Typography>
    </Box>
  );
}

/**
 * One SLO: objective, SLI, error budget (and its course), burn rates and alerts. An SLI read
 * from Prometheus has no routing decisions behind it, so it links none.
 */
export function SloCard({
  slo,
  sliSource = 'events',
}: {
  slo: SloStatus;
  sliSource?: 'events' | 'prometheus';
}) {
  const name = slo.objective.name;
  const series = slo.budgetSeries ?? [];
  // The engine's points end days; Prometheus' end hundredths of the window, some hours apart,
  // which need the time beside the date to tell apart.
  const subDaily =
    series.length > 1 &&
    Date.parse(series[1].timestamp) - Date.parse(series[0].timestamp) < DAY_MS;
  const labelSpan = subDaily ? 2 * DAY_MS : Infinity;
  const decisions =
    sliSource === 'events' ? burnedDecisionsLink(slo) : undefined;
  return (
    <InfoCard
      title={name}
      subheader={objectiveText(slo)}
      action={
        <Box m={2} textAlign="right">
          <div aria-label={`${name} state`}>
            <SloStateChip state={slo.state} alertState={slo.alertState} />
          </div>
          {decisions && (
            <Typography variant="body2">
              <Link to={decisions}>Requests that burned it</Link>
            </Typography>
          )}
        </Box>
      }
    >
      <Box display="flex" flexWrap="wrap">
        <Stat
          label="Current SLI"
          value={slo.totalEvents ? formatPercent(slo.sli, 3) : 'no traffic'}
        />
        <Stat
          label="Error budget left"
          value={formatBudgetLeft(slo.errorBudget.remainingFraction)}
        />
        <Stat
          label="Bad / total requests"
          // Prometheus' increase() extrapolates, so its counts come with fractions.
          value={`${formatCount(
            Math.round(slo.totalEvents - slo.goodEvents),
          )} / ${formatCount(Math.round(slo.totalEvents))}`}
        />
        {slo.latency?.p95 !== undefined && (
          <Stat label="p95" value={formatMs(slo.latency.p95)} />
        )}
      </Box>
      {series.length > 1 && (
        <LineChart
          ariaLabel={`${name} error budget left over time`}
          labels={series.map(p => bucketLabel(p.timestamp, labelSpan))}
          xCaption={`${subDaily ? 'Times' : 'Days'} in ${readerTimeZone()}`}
          series={[
            {
              name: 'Error budget left',
              values: series.map(p => p.remainingFraction),
            },
          ]}
          formatY={v => formatPercent(v, 0)}
          threshold={{ value: 0, label: 'Budget spent' }}
        />
      )}
      <Table size="small" aria-label={`${name} burn rates`}>
        <TableHead>
          <TableRow>
            <TableCell>Alert</TableCell>
            <TableCell>Windows</TableCell>
            <TableCell align="right">Burn rates</TableCell>
            <TableCell align="right">Threshold</TableCell>
            <TableCell>State</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {slo.alerts.map(alert => (
            <TableRow key={`${alert.longWindow}-${alert.shortWindow}`}>
              <TableCell>{alert.severity}</TableCell>
              <TableCell>
                {alert.longWindow} & {alert.shortWindow}
              </TableCell>
              <TableCell align="right">
                {formatBurnRate(slo.burnRates[alert.longWindow])} /{' '}
                {formatBurnRate(slo.burnRates[alert.shortWindow])}
              </TableCell>
              <TableCell align="right">
                {formatBurnRate(alert.threshold)}
              </TableCell>
              <TableCell>
                <AlertStateChip state={windowState(slo, alert)} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}
