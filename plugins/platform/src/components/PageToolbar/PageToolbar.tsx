import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { TimeRangePicker } from '../TimeRangePicker';

/** The row above an entity tab: what the tab shows, and the time range picker for all of it. */
export function PageToolbar({ note }: { note?: string }) {
  return (
    <Box
      display="flex"
      alignItems="center"
      justifyContent="space-between"
      flexWrap="wrap"
      mb={2}
    >
      <Typography variant="body2" color="textSecondary">
        {note}
      </Typography>
      <TimeRangePicker />
    </Box>
  );
}
