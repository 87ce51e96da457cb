import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import type { ReplayChangedRoute } from '../../api';
import { FactsTable } from '../FactsTable';
import { formatUsd } from '../format';
import { REPLAY_CAUSES, routeLabel } from './replayLabels';

/** Names, states and ranks on one line: the drawer's half-width column is narrow. */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

/**
 * What the replay made of one recorded decision, to read beside it in the decision drawer:
 * the route under the change, its candidates and reasons laid out as the recorded ones are,
 * and the recorded tokens priced on both sides.
 */
export function ReplayedRouteDetails({ route }: { route: ReplayChangedRoute }) {
  const candidates = [...route.proposedCandidates].sort(
    (a, b) =>
      Number(b.kept) - Number(a.kept) || (a.rank ?? 99) - (b.rank ?? 99),
  );
  const rows: Array<[string, ReactNode]> = [
    ['Chosen route', routeLabel(route, 'proposed')],
    ['As it happened', routeLabel(route, 'recorded')],
  ];
  if (route.refusal) {
    rows.push(['Refusal', `${route.refusal.code}: ${route.refusal.message}`]);
  }
  if (
    route.recordedCostUsd !== undefined &&
    route.proposedCostUsd !== undefined
  ) {
    rows.push([
      'Cost of the recorded tokens',
      `${formatUsd(route.proposedCostUsd)} (${formatUsd(
        route.recordedCostUsd,
      )} as it happened)`,
    ]);
  }
  rows.push(['Why it differs', REPLAY_CAUSES[route.cause]]);
  if (route.missingFeatures?.length) {
    rows.push(['Features assumed', route.missingFeatures.join(', ')]);
  }
  return (
    <>
      <FactsTable label="Under the proposed change" rows={rows} />
      <Box mt={3}>
        <Typography variant="h6" component="h3" gutterBottom>
          Candidates
        </Typography>
        <Table size="small" aria-label="Candidates under the proposed change">
          <TableHead>
            <TableRow>
              <TableCell>Model profile</TableCell>
              <TableCell>Kept</TableCell>
              <TableCell>Why</TableCell>
              <TableCell align="right" style={NO_WRAP}>
                Rank
              </TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {candidates.map(c => (
              <TableRow key={c.modelProfile}>
                <TableCell style={NO_WRAP}>{c.modelProfile}</TableCell>
                <TableCell style={NO_WRAP}>
                  {c.kept ? 'kept' : 'dropped'}
                </TableCell>
                <TableCell>
                  {[c.dropReason, c.detail].filter(Boolean).join(': ') || '—'}
                </TableCell>
                <TableCell align="right" style={NO_WRAP}>
                  {c.rank ?? '—'}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
      <Box mt={2}>
        <Typography variant="body2" color="textSecondary">
          Token counts are the recorded ones; the answer itself would differ.
        </Typography>
      </Box>
    </>
  );
}
