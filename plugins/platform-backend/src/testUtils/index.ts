/**
 * Test utilities of the platform backend: a Kubernetes API server to run the deploy driver
 * and Backstage's Kubernetes plugin against.
 *
 * @packageDocumentation
 */
export { FakeKubernetesApiServer } from './FakeKubernetesApiServer';
export type {
  InjectedFailure,
  RecordedRequest,
} from './FakeKubernetesApiServer';
