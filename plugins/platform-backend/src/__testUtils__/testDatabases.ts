export { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
