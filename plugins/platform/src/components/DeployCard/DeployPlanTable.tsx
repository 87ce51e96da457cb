import {
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { DeployAction, DeployPlan } from '../../api';

/** An action in words, with the status colour and icon Backstage pairs with it. */
export function ActionChip({ action }: { action: DeployAction }) {
  switch (action) {
    case 'create':
      return <StatusRunning>create</StatusRunning>;
    case 'change':
      return <StatusWarning>change</StatusWarning>;
    case 'prune':
      return <StatusPending>prune</StatusPending>;
    default:
      return <StatusOK>unchanged</StatusOK>;
  }
}

/** Every object of the plan: what applying would do to it, and which fields differ. */
export function DeployPlanTable({ plan }: { plan: DeployPlan }) {
  return (
    <Table size="small" aria-label="Deploy plan">
      <TableHead>
        <TableRow>
          <TableCell>Object</TableCell>
          <TableCell>Namespace</TableCell>
          <TableCell>Action</TableCell>
          <TableCell>Differing fields</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {plan.objects.map(object => (
          <TableRow
            key={`${object.apiVersion}/${object.kind}/${object.namespace}/${object.name}`}
          >
            <TableCell>
              {object.kind}/{object.name}
            </TableCell>
            <TableCell>{object.namespace ?? '—'}</TableCell>
            <TableCell>
              <ActionChip action={object.action} />
            </TableCell>
            <TableCell>{object.changedFields?.join(', ') ?? ''}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
