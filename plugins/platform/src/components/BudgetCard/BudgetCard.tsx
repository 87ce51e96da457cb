import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef, TenantBudgetReport } from '../../api';
import { formatPercent, formatUsd } from '../format';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

/** What the budget's figures count, and how the spend splits. */
function coverage(report: TenantBudgetReport): string {
  const parts = [
    report.covers.includes('tokens') &&
      `LLM tokens ${formatUsd(report.tokenUsd)}`,
    report.covers.includes('gpus') && `GPUs ${formatUsd(report.gpuUsd)}`,
  ].filter(Boolean);
  return `Covers ${parts.join(' + ')}`;
}

function TenantBudget({ report }: { report: TenantBudgetReport }) {
  const over = report.forecastUsd > report.budgetUsd;
  // A gateway may overspend by its requests in flight; the card says by how much. The spend
  // is a sum of floating-point costs: a difference within its rounding is none.
  const difference = report.budgetUsd - report.monthToDateUsd;
  const left =
    Math.abs(difference) < 1e-9 * Math.max(1, report.budgetUsd)
      ? 0
      : difference;
  return (
    <Box mb={2} aria-label={`${report.tenant} budget`} role="group">
      <Typography variant="subtitle1">{report.tenant}</Typography>
      <Typography>
        {formatUsd(report.monthToDateUsd)} of {formatUsd(report.budgetUsd)}{' '}
        spent in {report.month} ({formatPercent(report.usedFraction, 1)})
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {coverage(report)}
      </Typography>
      <LinearProgress
        variant="determinate"
        value={Math.min(100, report.usedFraction * 100)}
        color={report.usedFraction > 1 ? 'secondary' : 'primary'}
        aria-label={`${report.tenant} month-to-date spend of budget`}
      />
      <Typography color={left < 0 ? 'error' : 'textSecondary'}>
        {left < 0
          ? `Overspent by ${formatUsd(-left)}`
          : `${formatUsd(left)} left this month`}
      </Typography>
      <Typography color={over ? 'error' : 'textSecondary'}>
        Month-end forecast: {formatUsd(report.forecastUsd)} (
        {formatPercent(report.forecastFraction, 1)} of budget)
        {over ? ', over budget' : ''}
      </Typography>
      <Typography variant="caption" color="textSecondary">
        Forecast from {report.forecastBasis}.
      </Typography>
    </Box>
  );
}

/**
 * Spend this month against the monthly budget and the month-end forecast, for each tenant
 * named. A cell shows its tenants; a tenant page shows the one.
 */
export function BudgetCard({ tenants }: { tenants: string[] }) {
  const api = useApi(platformApiRef);
  const { value, loading, error } = useAsync(
    () => Promise.all(tenants.map(t => api.getTenantBudget(t))),
    [api, tenants.join(',')],
  );
  return (
    <InfoCard title="Budget" subheader="This calendar month (UTC)">
      {loading && <Progress />}
      {error && (
        <PlatformErrorPanel error={error} title="Budgets could not be loaded" />
      )}
      {value?.length === 0 && (
        <Typography>No tenants here yet, so no budget to show.</Typography>
      )}
      {value?.map(report => (
        <TenantBudget key={report.tenant} report={report} />
      ))}
    </InfoCard>
  );
}
