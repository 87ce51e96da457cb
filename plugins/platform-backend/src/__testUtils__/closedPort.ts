export { closedPort } from '@cellport/plugin-platform-node-test-utils';
