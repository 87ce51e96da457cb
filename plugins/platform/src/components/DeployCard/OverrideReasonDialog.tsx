import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { useState } from 'react';

/**
 * Asks why to apply while the cell's availability error budget is spent, or cannot be read.
 * The error budget policy freezes changes then; the reason is written to the audit log with
 * the apply.
 */
export function OverrideReasonDialog(props: {
  open: boolean;
  cell: string;
  /** The budgets could not be read, rather than being spent. */
  budgetUnknown: boolean;
  onCancel: () => void;
  onConfirm: (reason: string) => void;
}) {
  const [reason, setReason] = useState('');
  return (
    <Dialog
      open={props.open}
      onClose={props.onCancel}
      aria-labelledby="deploy-override-title"
    >
      <DialogTitle id="deploy-override-title">
        {props.budgetUnknown
          ? 'Error budget unknown'
          : 'Error budget exhausted'}
      </DialogTitle>
      <DialogContent>
        <DialogContentText>
          {props.budgetUnknown
            ? `The error budgets of cell ${props.cell} cannot be read now, so changes to it wait. Apply anyway only if the change cannot wait, and say why: the reason is audited.`
            : `The availability error budget of cell ${props.cell} is spent, so changes to it are frozen. Apply anyway only to fix or roll back what burns the budget, and say why: the reason is audited.`}
        </DialogContentText>
        <TextField
          fullWidth
          id="deploy-override-reason"
          multiline
          label="Override reason"
          value={reason}
          inputProps={{ maxLength: 2000 }}
          onChange={event => setReason(event.target.value)}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button
          color="primary"
          disabled={reason.trim() === ''}
          onClick={() => props.onConfirm(reason.trim())}
        >
          Apply anyway
        </Button>
      </DialogActions>
    </Dialog>
  );
}
