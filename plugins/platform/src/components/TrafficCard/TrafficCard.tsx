import { InfoCard, Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { outcomeSchema } from '@cellport/plugin-platform-common';
import { LatencyMetricKey, PlatformScope, TrafficSummary } from '../../api';
import { bucketLabel, readerTimeZone } from '../bucketLabel';
import { LineChart, StackedBarChart } from '../charts';
import {
  formatCount,
  formatMs,
  formatPercent,
  formatTokens,
  formatUsd,
} from '../format';
import { useTimeRange } from '../TimeRangePicker';
import { useTrafficSeries } from './useTrafficSeries';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

const METRICS: Array<[LatencyMetricKey, string]> = [
  ['upstream', 'Upstream'],
  ['overhead', 'Gateway overhead'],
  ['ttft', 'Time to first token'],
  ['router', 'Router decision'],
];

/** Share of requests the platform did not fail; rejected and cancelled ones are the caller's. */
export function availabilityOf(t: TrafficSummary): number | null {
  const served = (t.byOutcome.success ?? 0) + (t.byOutcome.error ?? 0);
  return served ? (t.byOutcome.success ?? 0) / served : null;
}

function LatencyTable({ total }: { total: TrafficSummary }) {
  return (
    <Table size="small" aria-label="Latency percentiles">
      <TableHead>
        <TableRow>
          <TableCell>Latency</TableCell>
          <TableCell align="right">p50</TableCell>
          <TableCell align="right">p95</TableCell>
          <TableCell align="right">p99</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {METRICS.map(([key, label]) => (
          <TableRow key={key}>
            <TableCell component="th" scope="row">
              {label}
            </TableCell>
            <TableCell align="right">
              {formatMs(total.latency[key]?.p50)}
            </TableCell>
            <TableCell align="right">
              {formatMs(total.latency[key]?.p95)}
            </TableCell>
            <TableCell align="right">
              {formatMs(total.latency[key]?.p99)}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** Latency percentiles, availability and request volume by outcome over the page's range. */
export function TrafficCard({ scope }: { scope: PlatformScope }) {
  const { range, label } = useTimeRange();
  const { value, loading, error } = useTrafficSeries(range, scope);
  const span = Date.parse(range.to) - Date.parse(range.from);

  let body;
  if (loading) body = <Progress />;
  else if (error)
    body = (
      <PlatformErrorPanel error={error} title="Traffic could not be loaded" />
    );
  else if (!value || value.total.requests === 0)
    body = (
      <Typography>
        No traffic yet in this range. Pick a longer time range, or send a
        request through the gateway.
      </Typography>
    );
  else {
    const { total, buckets } = value;
    const labels = buckets.map(b => bucketLabel(b.from, span));
    body = (
      <>
        <Box display="flex" flexWrap="wrap" mb={2}>
          {[
            ['Requests', formatCount(total.requests)],
            ['Availability', formatPercent(availabilityOf(total), 3)],
            ['Fallbacks', formatCount(total.fallbacks)],
            ['Tokens', formatTokens(total.inputTokens + total.outputTokens)],
            ['Cost', formatUsd(total.costUsd)],
          ].map(([name, v]) => (
            <Box key={name} mr={4}>
              <Typography
                variant="caption"
                color="textSecondary"
                component="div"
              >
                {name}
              </Typography>
              <Typography variant="h6" component="div">
                {v}
              </Typography>
            </Box>
          ))}
        </Box>
        <Grid container spacing={2}>
          <Grid item xs={12} lg={6}>
            <Typography variant="subtitle2">Upstream latency (ms)</Typography>
            <LineChart
              ariaLabel="Upstream latency percentiles over time"
              labels={labels}
              xCaption={`Times in ${readerTimeZone()}`}
              series={(['p50', 'p95', 'p99'] as const).map(p => ({
                name: p,
                values: buckets.map(b => b.latency.upstream?.[p] ?? null),
              }))}
              formatY={formatMs}
            />
          </Grid>
          <Grid item xs={12} lg={6}>
            <Typography variant="subtitle2">Availability</Typography>
            <LineChart
              ariaLabel="Availability over time"
              labels={labels}
              xCaption={`Times in ${readerTimeZone()}`}
              series={[
                { name: 'availability', values: buckets.map(availabilityOf) },
              ]}
              formatY={v => formatPercent(v, 1)}
              minY={Math.min(0.9, ...buckets.map(b => availabilityOf(b) ?? 1))}
              maxY={1}
            />
          </Grid>
          <Grid item xs={12} lg={6}>
            <Typography variant="subtitle2">Requests by outcome</Typography>
            <StackedBarChart
              ariaLabel="Requests by outcome over time"
              buckets={buckets.map((b, i) => ({
                label: labels[i],
                values: b.byOutcome as Record<string, number>,
              }))}
              keys={outcomeSchema.options}
              formatValue={v => formatCount(Math.round(v))}
            />
          </Grid>
          <Grid item xs={12} lg={6}>
            <LatencyTable total={total} />
          </Grid>
        </Grid>
      </>
    );
  }
  return (
    <InfoCard title="Traffic" subheader={label}>
      {body}
    </InfoCard>
  );
}
