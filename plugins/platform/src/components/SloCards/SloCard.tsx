import { InfoCard, StatusWarning } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { SloStatus } from '../../api';
import { LineChart } from '../charts';
import {
  formatBurnRate,
  formatBudgetLeft,
  formatCount,
  formatMs,
  formatPercent,
} from '../format';
import { AlertStateChip } from '../StateChips';

function objectiveText({ objective }: SloStatus) {
  const target = formatPercent(objective.target);
  return objective.indicator === 'latency'
    ? `${target} of requests with ${objective.metric} under ${formatMs(
        objective.thresholdMs,
      )} over ${objective.window}`
    : `${target} of requests served without a platform error over ${objective.window}`;
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

/** One SLO: objective, SLI, error budget (and its course), burn rates and alerts. */
export function SloCard({ slo }: { slo: SloStatus }) {
  const name = slo.objective.name;
  const series = slo.budgetSeries ?? [];
  return (
    <InfoCard
      title={name}
      subheader={objectiveText(slo)}
      action={
        <Box m={2} textAlign="right">
          <div aria-label={`${name} alert state`}>
            <AlertStateChip state={slo.alertState} />
          </div>
          {/* Burn-rate alerts can be quiet while the window's budget is gone; "ok" alone would
              hide it (a cell's spent availability budget also stops its deploys). */}
          {slo.totalEvents > 0 &&
            (slo.errorBudget.remainingFraction ?? 1) <= 0 && (
              <div aria-label={`${name} error budget`}>
                <StatusWarning>error budget spent</StatusWarning>
              </div>
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
          value={`${formatCount(
            slo.totalEvents - slo.goodEvents,
          )} / ${formatCount(slo.totalEvents)}`}
        />
        {slo.latency?.p95 !== undefined && (
          <Stat label="p95" value={formatMs(slo.latency.p95)} />
        )}
      </Box>
      {series.length > 1 && (
        <LineChart
          ariaLabel={`${name} error budget left over time`}
          labels={series.map(p => p.timestamp.slice(5, 10))}
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
                <AlertStateChip state={alert.firing ? alert.severity : 'ok'} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}
