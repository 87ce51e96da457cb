import { StatusOK, StatusRunning } from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { WorkloadRollout } from '../../api';

/** The entity's Deployments and StatefulSets and how far each rollout is. */
export function RolloutTable({ workloads }: { workloads: WorkloadRollout[] }) {
  if (workloads.length === 0) {
    return (
      <Typography variant="body2">
        No workloads of this entity run in the cluster yet.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Rollout">
      <TableHead>
        <TableRow>
          <TableCell>Workload</TableCell>
          <TableCell>State</TableCell>
          <TableCell align="right">Desired</TableCell>
          <TableCell align="right">Pods</TableCell>
          <TableCell align="right">Updated</TableCell>
          <TableCell align="right">Ready</TableCell>
          <TableCell align="right">Available</TableCell>
          <TableCell>Conditions</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {workloads.map(w => (
          <TableRow key={`${w.kind}/${w.namespace}/${w.name}`}>
            <TableCell>
              {w.kind}/{w.namespace}/{w.name}
            </TableCell>
            <TableCell>
              {w.rolledOut ? (
                <StatusOK>rolled out</StatusOK>
              ) : (
                <StatusRunning>rolling out</StatusRunning>
              )}
            </TableCell>
            <TableCell align="right">{w.desiredReplicas}</TableCell>
            <TableCell align="right">{w.replicas}</TableCell>
            <TableCell align="right">{w.updatedReplicas}</TableCell>
            <TableCell align="right">{w.readyReplicas}</TableCell>
            <TableCell align="right">{w.availableReplicas}</TableCell>
            <TableCell>
              {w.conditions
                .map(
                  c =>
                    `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`,
                )
                .join(', ')}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
