import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { DeployApplyResponse, DeployObjectResult } from '../../api';

function OutcomeChip({ result }: { result: DeployObjectResult }) {
  switch (result.outcome) {
    case 'applied':
      return (
        <StatusOK>{result.changed ? 'applied, changed' : 'applied'}</StatusOK>
      );
    case 'pruned':
      return <StatusOK>pruned</StatusOK>;
    case 'failed':
      return <StatusError>failed</StatusError>;
    default:
      return <StatusPending>not attempted</StatusPending>;
  }
}

/** One line on how an apply ended. */
export function resultSummary(response: DeployApplyResponse): string {
  const { counts } = response;
  switch (response.result) {
    case 'applied':
      return `Applied ${counts.applied} objects (${counts.changed} changed), pruned ${counts.pruned}.`;
    case 'refused':
      return `Refused, nothing was sent: ${response.message ?? ''}`;
    default:
      return `Failed: ${counts.applied} applied, ${counts.pruned} pruned, ${
        counts.failed
      } failed, ${counts.notAttempted} not attempted. ${
        response.message ?? ''
      }`;
  }
}

/** What an apply did to each object, as the cluster answered. */
export function DeployResultTable({
  response,
}: {
  response: DeployApplyResponse;
}) {
  const Summary = response.result === 'applied' ? StatusOK : StatusWarning;
  return (
    <>
      <Typography component="div" role="status" aria-label="Apply result">
        <Summary>{resultSummary(response)}</Summary>
        {response.overrideReason && (
          <Typography variant="body2">
            Error budget overridden: {response.overrideReason}
          </Typography>
        )}
      </Typography>
      {response.result !== 'refused' && (
        <Table size="small" aria-label="Apply results">
          <TableHead>
            <TableRow>
              <TableCell>Object</TableCell>
              <TableCell>Namespace</TableCell>
              <TableCell>Outcome</TableCell>
              <TableCell>Message</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {response.objects.map(object => (
              <TableRow
                key={`${object.operation}/${object.kind}/${object.namespace}/${object.name}`}
              >
                <TableCell>
                  {object.operation === 'prune' ? 'prune ' : ''}
                  {object.kind}/{object.name}
                </TableCell>
                <TableCell>{object.namespace ?? '—'}</TableCell>
                <TableCell>
                  <OutcomeChip result={object} />
                </TableCell>
                <TableCell>{object.message ?? ''}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
