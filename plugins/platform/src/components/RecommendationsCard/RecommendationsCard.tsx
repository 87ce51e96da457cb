import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type {
  Recommendation,
  RecommendationList,
} from '@cellport/plugin-platform-common';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api';
import { formatCount, formatShortTime, formatUsd } from '../format';
import { PlatformErrorPanel } from '../PlatformErrorPanel';
import { proposeLink } from './proposeLink';

/** Days of decisions replayed: a week, the range the saving is scaled from. */
export const RECOMMENDATION_DAYS = 7;

function Evidence({ r }: { r: Recommendation }) {
  const e = r.evidence;
  // The saving's own figures: over the requests both states serve, when the answer says.
  const both = e.bothServe;
  return (
    <>
      {formatCount(e.decisionsReplayed)} decisions, {formatShortTime(e.from)} –{' '}
      {formatShortTime(e.to)}: {formatUsd(both?.currentUsd ?? e.currentUsd)} →{' '}
      {formatUsd(both?.proposedUsd ?? e.proposedUsd)}
      {both && both.decisions !== e.decisionsReplayed
        ? ` over the ${formatCount(both.decisions)} both serve`
        : ''}{' '}
      (recorded {formatUsd(e.recordedUsd)})
      {e.truncated ? '; stopped at its limit' : ''}
    </>
  );
}

function Risk({ r }: { r: Recommendation }) {
  return (
    <>
      <Chip
        size="small"
        label={`${r.risk.level} risk`}
        color={r.risk.level === 'low' ? 'default' : 'secondary'}
      />
      {r.risk.notes.map(note => (
        <Typography key={note} variant="body2">
          {note}
        </Typography>
      ))}
    </>
  );
}

/** Names, figures and headings stay whole; the evidence and risk columns take the wrapping. */
const ONE_LINE = { whiteSpace: 'nowrap' } as const;

function Recommendations({ list }: { list: RecommendationList }) {
  if (list.recommendations.length === 0) {
    return (
      <Typography>
        No cheaper routing found within these agents' constraints.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Recommendations">
      <TableHead>
        <TableRow>
          {[
            'Rank',
            'Agent',
            'Change',
            'Monthly saving',
            'Evidence',
            'Risk',
            '',
          ].map(h => (
            <TableCell key={h} style={ONE_LINE}>
              {h}
            </TableCell>
          ))}
        </TableRow>
      </TableHead>
      <TableBody>
        {list.recommendations.map(r => (
          <TableRow key={`${r.agent}:${r.change.summary}`}>
            <TableCell>{r.rank}</TableCell>
            <TableCell style={ONE_LINE}>
              <Link to={`/catalog/default/agent/${r.agent}`}>{r.agent}</Link>
            </TableCell>
            <TableCell>{r.change.summary}</TableCell>
            <TableCell style={ONE_LINE}>
              {formatUsd(r.monthlySavingUsd)}
            </TableCell>
            <TableCell>
              <Evidence r={r} />
            </TableCell>
            <TableCell>
              <Risk r={r} />
            </TableCell>
            <TableCell>
              <Button
                size="small"
                variant="outlined"
                color="primary"
                href={proposeLink(r)}
                style={ONE_LINE}
              >
                Propose this change
              </Button>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * A cell's or a tenant's cheaper routing: for each agent, the changes its constraints allow,
 * replayed over its last week of decisions, ranked by the saving scaled to a month, with the
 * evidence and the risk; each can be proposed as a change to the agent's source for review.
 */
export function RecommendationsCard(props: {
  scope: { cell: string } | { tenant: string };
}) {
  const api = useApi(platformApiRef);
  const scope: { cell?: string; tenant?: string } = props.scope;
  const { value, loading, error } = useAsync(
    () => api.listRecommendations({ ...scope, days: RECOMMENDATION_DAYS }),
    [api, scope.cell, scope.tenant],
  );
  return (
    <InfoCard
      title="Recommendations"
      subheader={`Cheaper routing within each agent's boundaries, replayed over the last ${RECOMMENDATION_DAYS} days and scaled to a month`}
    >
      {loading && <Progress />}
      {error && (
        <PlatformErrorPanel
          error={error}
          title="Recommendations could not be loaded"
        />
      )}
      {value && (
        <>
          <Recommendations list={value} />
          <Box mt={2}>
            {value.notes.map(note => (
              <Typography key={note} variant="caption" component="p">
                {note}
              </Typography>
            ))}
            {value.skipped.length > 0 && (
              <Typography variant="caption" component="p">
                Not recommended:{' '}
                {value.skipped
                  .map(s => `${s.agent} ${s.change} (${s.reason})`)
                  .join('; ')}
                .
              </Typography>
            )}
            {value.agentsWithoutDecisions.length > 0 && (
              <Typography variant="caption" component="p">
                No decisions to replay for{' '}
                {value.agentsWithoutDecisions.join(', ')}.
              </Typography>
            )}
            {value.agentsNotEvaluated.length > 0 && (
              <Typography variant="caption" component="p">
                Not evaluated (the request's replays ran out):{' '}
                {value.agentsNotEvaluated.join(', ')}.
              </Typography>
            )}
          </Box>
        </>
      )}
    </InfoCard>
  );
}
