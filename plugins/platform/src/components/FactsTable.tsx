import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import { ReactNode } from 'react';

/** Label/value rows, named for screen readers and tests: the cards' way of stating facts. */
export function FactsTable({
  rows,
  label,
}: {
  rows: Array<[string, ReactNode]>;
  label: string;
}) {
  return (
    <Table size="small" aria-label={label}>
      <TableBody>
        {rows.map(([name, value]) => (
          <TableRow key={name}>
            <TableCell component="th" scope="row" style={{ width: '40%' }}>
              {name}
            </TableCell>
            <TableCell>{value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
