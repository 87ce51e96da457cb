/**
 * Test fakes for Cellport's backend code and its browser tests: a Kubernetes API server to run
 * the deploy driver and Backstage's Kubernetes plugin against, throwaway TLS certificates to
 * serve it over HTTPS with, the test databases, and a link to a database a test can cut. Never
 * a dependency of production code.
 *
 * @packageDocumentation
 */
export { FakeKubernetesApiServer } from './FakeKubernetesApiServer';
export type {
  InjectedFailure,
  RecordedRequest,
} from './FakeKubernetesApiServer';
export { createTestCertificates } from './testCertificates';
export type { TestCertificates } from './testCertificates';
export { TEST_ENTITIES } from './testEntities';
export { closedPort } from './closedPort';
export { CuttableLink, postgresThroughLink } from './CuttableLink';
export { pollUntil } from './pollUntil';
export { failureAnswerOf } from './failureAnswer';
export { createTestDatabases } from './testDatabases';
export * from './testEvents';
