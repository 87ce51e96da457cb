export {
  makeDecision,
  makeRequest,
  makeUsage,
  nextId,
} from '@cellport/plugin-platform-node-test-utils';
