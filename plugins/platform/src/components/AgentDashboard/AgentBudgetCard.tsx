import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api';
import { formatCount, formatPercent, formatUsd } from '../format';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

/** An agent's spend this month against its run budget, from its tenant's budget report. */
export function AgentBudgetCard(props: { tenant: string; agent: string }) {
  const api = useApi(platformApiRef);
  const { value, loading, error } = useAsync(
    () => api.getTenantBudget(props.tenant),
    [api, props.tenant],
  );
  const row = value?.agents.find(a => a.agent === props.agent);
  return (
    <InfoCard title="Cost vs run budget" subheader="This calendar month (UTC)">
      {loading && <Progress />}
      {error && (
        <PlatformErrorPanel error={error} title="Budget could not be loaded" />
      )}
      {value && !row && (
        <Typography>
          No spend recorded for this agent this month yet. It shows once the
          agent sends traffic through the gateway.
        </Typography>
      )}
      {row && (
        <Table size="small" aria-label="Agent budget">
          <TableBody>
            {[
              ['Month to date', formatUsd(row.monthToDateUsd)],
              [
                'Monthly budget',
                row.monthlyBudgetUsd
                  ? `${formatUsd(row.monthlyBudgetUsd)} (${formatPercent(
                      row.usedFraction,
                      1,
                    )} used)`
                  : 'none set',
              ],
              ['Month-end forecast', formatUsd(row.forecastUsd)],
              ['Requests', formatCount(row.requests)],
              [
                'Average cost per request',
                `${formatUsd(row.averageRequestCostUsd)}${
                  row.maxCostPerRunUsd
                    ? ` (limit ${formatUsd(row.maxCostPerRunUsd)} per run)`
                    : ''
                }`,
              ],
            ].map(([label, text]) => (
              <TableRow key={label}>
                <TableCell component="th" scope="row">
                  {label}
                </TableCell>
                <TableCell>{text}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
}
