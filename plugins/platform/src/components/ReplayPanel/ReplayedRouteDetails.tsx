import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import type { ReplayChangedRoute } from '../../api';
import { CandidatesTable } from '../DecisionDrawer/CandidatesTable';
import { FactsTable } from '../FactsTable';
import { formatUsd } from '../format';
import { REPLAY_CAUSES, routeLabel } from './replayLabels';

/**
 * What the replay made of one recorded decision, to read beside it in the decision drawer:
 * the route under the change, its candidates and reasons laid out as the recorded ones are,
 * and the recorded tokens priced on both sides.
 */
export function ReplayedRouteDetails({ route }: { route: ReplayChangedRoute }) {
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
        <CandidatesTable
          label="Candidates under the proposed change"
          candidates={route.proposedCandidates}
        />
      </Box>
      <Box mt={2}>
        <Typography variant="body2" color="textSecondary">
          Token counts are the recorded ones; the answer itself would differ.
        </Typography>
      </Box>
    </>
  );
}
