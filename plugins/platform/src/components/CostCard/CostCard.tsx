import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { CostGroupBy, platformApiRef, PlatformScope } from '../../api';
import { bucketLabel, readerTimeZone } from '../bucketLabel';
import { StackedBarChart } from '../charts';
import { formatUsd } from '../format';
import { useTimeRange } from '../TimeRangePicker';
import { bucketStarts, costBuckets } from './costBuckets';
import { PlatformErrorPanel } from '../PlatformErrorPanel';
import { compareCost, previousRange } from './costComparison';
import { CostComparisonTable } from './CostComparisonTable';

const GROUPS: Record<CostGroupBy, string> = {
  tenant: 'Tenant',
  agent: 'Agent',
  modelProfile: 'Model',
  cell: 'Cell',
};

/**
 * Token cost over the page's range, stacked by tenant, agent or model (`?costBy=` in the URL),
 * against the previous range of the same length, with the groups that moved most. Hourly up to
 * two days, daily beyond, so bars stay countable.
 */
export function CostCard(props: {
  scope: PlatformScope;
  groupings?: CostGroupBy[];
}) {
  const groupings = props.groupings ?? ['tenant', 'agent', 'modelProfile'];
  const { scope } = props;
  const api = useApi(platformApiRef);
  const { range, label } = useTimeRange();
  const [params, setParams] = useSearchParams();
  const asked = params.get('costBy') as CostGroupBy | null;
  const groupBy = asked && groupings.includes(asked) ? asked : groupings[0];
  const span = Date.parse(range.to) - Date.parse(range.from);
  const granularity = span <= 2 * 24 * 3600_000 ? 'hour' : 'day';

  const { value, loading, error } = useAsync(async () => {
    const options = { groupBy, granularity } as const;
    const [current, previous] = await Promise.all([
      api.getCostBreakdown(range, scope, options),
      api.getCostBreakdown(previousRange(range), scope, options),
    ]);
    return { ...current, comparison: compareCost(current, previous) };
  }, [api, range, groupBy, granularity, scope.cell, scope.tenant, scope.agent]);

  const picker = (
    <TextField
      select
      size="small"
      variant="outlined"
      label="Stack by"
      value={groupBy}
      onChange={e =>
        setParams(
          current => {
            const next = new URLSearchParams(current);
            next.set('costBy', e.target.value as string);
            return next;
          },
          { replace: true },
        )
      }
      id="platform-cost-stack-by"
      SelectProps={{ native: true }}
      style={{ minWidth: 140, margin: 16 }}
    >
      {groupings.map(g => (
        <option key={g} value={g}>
          {GROUPS[g]}
        </option>
      ))}
    </TextField>
  );

  let body;
  if (loading) body = <Progress />;
  else if (error)
    body = (
      <PlatformErrorPanel error={error} title="Cost could not be loaded" />
    );
  else if (!value || value.series.length === 0)
    body = (
      <Typography>
        No traffic yet in this range, so no token cost. Pick a longer time
        range.
      </Typography>
    );
  else {
    const { keys, buckets } = costBuckets(
      value,
      t => bucketLabel(t, span),
      bucketStarts(range, granularity),
    );
    body = (
      <>
        <Box mb={1}>
          <Typography variant="h6" component="div">
            {formatUsd(value.totalUsd)} in token cost
          </Typography>
        </Box>
        <StackedBarChart
          ariaLabel={`Token cost by ${GROUPS[groupBy].toLowerCase()} over time`}
          keys={keys}
          buckets={buckets}
          formatValue={formatUsd}
          xCaption={`Times in ${readerTimeZone()}`}
        />
        <Box mt={2}>
          <CostComparisonTable
            comparison={value.comparison}
            groupLabel={GROUPS[groupBy]}
          />
        </Box>
      </>
    );
  }
  return (
    <InfoCard title="Token cost" subheader={label} action={picker}>
      {body}
    </InfoCard>
  );
}
