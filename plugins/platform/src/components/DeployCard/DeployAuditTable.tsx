import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { DeployAuditRecord } from '../../api';
import { formatTime } from '../format';

/** The entity's applies, newest first: who, when, how it ended and any override reason. */
export function DeployAuditTable({
  records,
}: {
  records: DeployAuditRecord[];
}) {
  if (records.length === 0) {
    return (
      <Typography variant="body2">
        Nobody has applied this entity from the portal yet.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Deploy audit log">
      <TableHead>
        <TableRow>
          <TableCell>When (UTC)</TableCell>
          <TableCell>Who</TableCell>
          <TableCell>Result</TableCell>
          <TableCell>Objects</TableCell>
          <TableCell>Override reason</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {records.map(record => (
          <TableRow key={record.id}>
            <TableCell>{formatTime(record.at)}</TableCell>
            <TableCell>{record.actor}</TableCell>
            <TableCell>
              {record.result}
              {record.message ? `: ${record.message}` : ''}
            </TableCell>
            <TableCell>
              {record.counts.applied} applied ({record.counts.changed} changed),{' '}
              {record.counts.pruned} pruned, {record.counts.failed} failed
            </TableCell>
            <TableCell>{record.overrideReason ?? '—'}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
