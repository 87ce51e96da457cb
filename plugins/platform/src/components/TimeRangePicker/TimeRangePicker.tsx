import TextField from '@material-ui/core/TextField';
import { TIME_RANGES, TimeRangeKey, useTimeRange } from './useTimeRange';

/** Picks the time range of every view on the page; the choice lives in the URL. */
export function TimeRangePicker() {
  const { key, setKey } = useTimeRange();
  return (
    <TextField
      select
      label="Time range"
      variant="outlined"
      size="small"
      value={key}
      onChange={e => setKey(e.target.value as TimeRangeKey)}
      style={{ minWidth: 180 }}
      id="platform-time-range"
      // A native select: keyboard- and screen-reader-friendly, and no popover to manage.
      SelectProps={{ native: true }}
    >
      {Object.entries(TIME_RANGES).map(([value, { label }]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </TextField>
  );
}
