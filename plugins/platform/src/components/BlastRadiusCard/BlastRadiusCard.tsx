import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { CostGroup, platformApiRef } from '../../api';
import { formatCount, formatPercent } from '../format';
import { useTimeRange } from '../TimeRangePicker';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

function ShareTable(props: { title: string; groups: CostGroup[] }) {
  const total = props.groups.reduce((s, g) => s + g.requests, 0);
  const sorted = [...props.groups].sort((a, b) => b.requests - a.requests);
  return (
    <Table size="small" aria-label={props.title}>
      <TableHead>
        <TableRow>
          <TableCell>{props.title}</TableCell>
          <TableCell align="right">Requests</TableCell>
          <TableCell align="right">Share of traffic</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {sorted.map(g => (
          <TableRow key={g.key}>
            <TableCell>{g.key || '(none)'}</TableCell>
            <TableCell align="right">{formatCount(g.requests)}</TableCell>
            <TableCell align="right">
              {formatPercent(total ? g.requests / total : 0, 1)}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * Who a cell outage would hit: the tenants and agents that sent it traffic in the page's range,
 * and their share of it.
 */
export function BlastRadiusCard({ cell }: { cell: string }) {
  const api = useApi(platformApiRef);
  const { range, label } = useTimeRange();
  const { value, loading, error } = useAsync(async () => {
    const [tenants, agents] = await Promise.all(
      (['tenant', 'agent'] as const).map(groupBy =>
        api.getCostBreakdown(range, { cell }, { groupBy, granularity: 'day' }),
      ),
    );
    return { tenants: tenants.groups, agents: agents.groups };
  }, [api, range, cell]);
  return (
    <InfoCard title="Blast radius" subheader={`Traffic share, ${label}`}>
      {loading && <Progress />}
      {error && (
        <PlatformErrorPanel
          error={error}
          title="Traffic share could not be loaded"
        />
      )}
      {value && value.tenants.length === 0 && (
        <Typography>
          No traffic yet in this range. Pick a longer time range to see who uses
          this cell.
        </Typography>
      )}
      {value && value.tenants.length > 0 && (
        <>
          <ShareTable title="Tenant" groups={value.tenants} />
          <ShareTable title="Agent" groups={value.agents} />
        </>
      )}
    </InfoCard>
  );
}
