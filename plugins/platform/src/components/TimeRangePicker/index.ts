export { TimeRangePicker } from './TimeRangePicker';
export {
  useTimeRange,
  timeRangeOf,
  TIME_RANGES,
  DEFAULT_TIME_RANGE,
} from './useTimeRange';
export type { TimeRangeKey } from './useTimeRange';
