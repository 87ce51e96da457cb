import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api';
import { formatCount, formatPercent, formatTokens, formatUsd } from '../format';
import { TimeRangePicker, useTimeRange } from '../TimeRangePicker';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

/** Decisions read to estimate the error rate; the API has no per-model traffic summary. */
const ERROR_SAMPLE = 200;

/** A model profile's share of all traffic and cost, and its recent error rate. */
export function ModelProfileTrafficCard() {
  const { entity } = useEntity();
  const model = entity.metadata.name;
  const api = useApi(platformApiRef);
  const { range, label } = useTimeRange();
  const { value, loading, error } = useAsync(async () => {
    const [breakdown, sample] = await Promise.all([
      api.getCostBreakdown(
        range,
        {},
        { groupBy: 'modelProfile', granularity: 'day' },
      ),
      api.listDecisions(range, { model }, { limit: ERROR_SAMPLE }),
    ]);
    const totalRequests = breakdown.groups.reduce((s, g) => s + g.requests, 0);
    const mine = breakdown.groups.find(g => g.key === model);
    const errors = sample.items.filter(d => d.outcome === 'error').length;
    return {
      breakdown,
      totalRequests,
      mine,
      sample: sample.items.length,
      errors,
    };
  }, [api, range, model]);

  return (
    <InfoCard title="Traffic" subheader={label} action={<TimeRangePicker />}>
      {loading && <Progress />}
      {error && (
        <PlatformErrorPanel error={error} title="Traffic could not be loaded" />
      )}
      {value && !value.mine && (
        <Typography>
          No traffic yet in this range. Pick a longer time range, or check the
          agents that prefer this model.
        </Typography>
      )}
      {value?.mine && (
        <Table size="small" aria-label="Model traffic">
          <TableBody>
            {[
              [
                'Requests',
                `${formatCount(value.mine.requests)} (${formatPercent(
                  value.totalRequests
                    ? value.mine.requests / value.totalRequests
                    : 0,
                  1,
                )} of all traffic)`,
              ],
              [
                'Token cost',
                `${formatUsd(value.mine.costUsd)} (${formatPercent(
                  value.breakdown.totalUsd
                    ? value.mine.costUsd / value.breakdown.totalUsd
                    : 0,
                  1,
                )} of all)`,
              ],
              [
                'Tokens',
                `${formatTokens(value.mine.inputTokens)} in, ${formatTokens(
                  value.mine.outputTokens,
                )} out`,
              ],
              [
                'Error rate',
                value.sample
                  ? `${formatPercent(
                      value.errors / value.sample,
                      1,
                    )} of the latest ${formatCount(
                      value.sample,
                    )} routing decisions`
                  : '—',
              ],
            ].map(([name, text]) => (
              <TableRow key={name}>
                <TableCell component="th" scope="row" style={{ width: '35%' }}>
                  {name}
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
