import MuiTable from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { formatUsd } from '../format';
import { CostChange, CostComparison } from './costComparison';

/** "+$12.40 (+8.5%)", "−$3.00 (−20.0%)", "+$5.00 (new)"; no change reads "+$0.00". */
export function formatCostChange(change: CostChange): string {
  const sign = Math.sign(change.deltaUsd) < 0 ? '−' : '+';
  const amount = `${sign}${formatUsd(Math.abs(change.deltaUsd))}`;
  if (change.deltaFraction === null)
    return change.currentUsd > 0 ? `${amount} (new)` : amount;
  const percent = `${sign}${Math.abs(change.deltaFraction * 100).toFixed(1)}%`;
  return `${amount} (${percent})`;
}

/** The range's cost against the previous range of the same length, and the top movers. */
export function CostComparisonTable(props: {
  comparison: CostComparison;
  groupLabel: string;
}) {
  const { total, movers } = props.comparison;
  return (
    <>
      <Typography
        variant="body2"
        aria-label="Change against the previous period"
      >
        Against the previous period of the same length (
        {formatUsd(total.previousUsd)}): {formatCostChange(total)}
      </Typography>
      {movers.length > 0 && (
        <MuiTable size="small" aria-label="Top movers">
          <TableHead>
            <TableRow>
              <TableCell>{props.groupLabel}</TableCell>
              <TableCell align="right">Previous</TableCell>
              <TableCell align="right">This period</TableCell>
              <TableCell align="right">Change</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {movers.map(m => (
              <TableRow key={m.key}>
                <TableCell>{m.key}</TableCell>
                <TableCell align="right">{formatUsd(m.previousUsd)}</TableCell>
                <TableCell align="right">{formatUsd(m.currentUsd)}</TableCell>
                <TableCell align="right">{formatCostChange(m)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </MuiTable>
      )}
    </>
  );
}
