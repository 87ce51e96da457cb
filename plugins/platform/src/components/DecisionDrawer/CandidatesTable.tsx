import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';

/** A routing candidate as a decision (recorded or replayed) lists it. */
export interface Candidate {
  modelProfile: string;
  kept: boolean;
  dropReason?: string;
  detail?: string;
  rank?: number;
}

/** Names, states and ranks on one line: a half-width drawer column is narrow. */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

/**
 * Every candidate the router looked at, kept ones first by rank, and why each was dropped.
 * Ranks read from 1 (the router counts from 0), as the replay's changed routes say "#1".
 */
export function CandidatesTable(props: {
  label: string;
  candidates: Candidate[];
}) {
  const candidates = [...props.candidates].sort(
    (a, b) =>
      Number(b.kept) - Number(a.kept) || (a.rank ?? 99) - (b.rank ?? 99),
  );
  return (
    <Table size="small" aria-label={props.label}>
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
            <TableCell style={NO_WRAP}>{c.kept ? 'kept' : 'dropped'}</TableCell>
            <TableCell>
              {[c.dropReason, c.detail].filter(Boolean).join(': ') || '—'}
            </TableCell>
            <TableCell align="right" style={NO_WRAP}>
              {c.rank === undefined ? '—' : c.rank + 1}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
