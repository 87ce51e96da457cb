import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Drawer from '@material-ui/core/Drawer';
import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import CloseIcon from '@material-ui/icons/Close';
import { ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api';
import { DecisionDetails } from './DecisionDetails';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

/**
 * One routing decision in full, beside the table it was opened from; with `beside`, the
 * decision as it happened on the left and that view of it (a replay's) on the right.
 */
export function DecisionDrawer(props: {
  id: string | undefined;
  onClose: () => void;
  beside?: { title: string; content: ReactNode };
}) {
  const api = useApi(platformApiRef);
  const { value, loading, error } = useAsync(
    async () => (props.id ? api.getDecision(props.id) : undefined),
    [api, props.id],
  );
  return (
    <Drawer anchor="right" open={!!props.id} onClose={props.onClose}>
      <Box
        width={props.beside ? 1240 : 640}
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
        {props.beside ? (
          <Box display="flex" style={{ gap: 32 }}>
            <Box
              flex={1}
              minWidth={0}
              role="region"
              aria-label="As it happened"
            >
              <Typography variant="h6" component="h3">
                As it happened
              </Typography>
              {value && <DecisionDetails detail={value} />}
            </Box>
            <Box
              flex={1}
              minWidth={0}
              role="region"
              aria-label={props.beside.title}
            >
              <Typography variant="h6" component="h3">
                {props.beside.title}
              </Typography>
              {props.beside.content}
            </Box>
          </Box>
        ) : (
          value && <DecisionDetails detail={value} />
        )}
      </Box>
    </Drawer>
  );
}
