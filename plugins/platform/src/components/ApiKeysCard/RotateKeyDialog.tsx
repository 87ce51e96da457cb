import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';

/** Asks before a rotation: it cannot be undone, and the old key's callers have a deadline. */
export function RotateKeyDialog(props: {
  prefix?: string;
  /** The portal never issued it: no gateway serves it, so it has no grace period to give. */
  neverServed?: boolean;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  return (
    <Dialog open={props.prefix !== undefined} onClose={props.onCancel}>
      <DialogTitle>Rotate key {props.prefix}…?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          A new key is made and revealed once, to you.{' '}
          {props.neverServed
            ? 'The old key was never served (the portal did not issue it); the new one serves at once.'
            : 'The old key keeps working for a grace period (shown once rotated), then the gateway refuses it.'}{' '}
          This cannot be undone.
        </DialogContentText>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={props.busy}
          onClick={props.onConfirm}
        >
          Rotate
        </Button>
      </DialogActions>
    </Dialog>
  );
}
