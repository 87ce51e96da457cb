// The platform's time source is shared with the deploy driver (platform-node).
export {
  ManualClock,
  systemClock,
  type Clock,
} from '@cellport/plugin-platform-node';
