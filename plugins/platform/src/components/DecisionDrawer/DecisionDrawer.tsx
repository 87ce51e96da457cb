import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Drawer from '@material-ui/core/Drawer';
import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import CloseIcon from '@material-ui/icons/Close';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api';
import { DecisionDetails } from './DecisionDetails';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

/** One routing decision in full, beside the table it was opened from. */
export function DecisionDrawer(props: {
  id: string | undefined;
  onClose: () => void;
}) {
  const api = useApi(platformApiRef);
  const { value, loading, error } = useAsync(
    async () => (props.id ? api.getDecision(props.id) : undefined),
    [api, props.id],
  );
  return (
    <Drawer anchor="right" open={!!props.id} onClose={props.onClose}>
      <Box
        width={640}
        maxWidth="100vw"
        p={3}
        role="region"
        aria-label="Routing decision"
      >
        <Box display="flex" alignItems="center" justifyContent="space-between">
          <Typography variant="h5">Routing decision</Typography>
          <IconButton aria-label="Close" onClick={props.onClose}>
            <CloseIcon />
          </IconButton>
        </Box>
        {loading && <Progress />}
        {error && (
          <PlatformErrorPanel
            error={error}
            title="This decision could not be loaded; it may be past retention"
          />
        )}
        {value && <DecisionDetails detail={value} />}
      </Box>
    </Drawer>
  );
}
