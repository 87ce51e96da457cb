import { FakeKubernetesApiServer } from '@cellport/plugin-platform-backend/testUtils';
import { e2eCluster } from './e2eCluster';

/**
 * Serves the cluster the test command configured for the portal (`CELLPORT_E2E_CLUSTER_*`),
 * so the browser tests can apply a cell from its Deploy card and read the rollout back.
 *
 * No kubelet runs here, so a healthy rollout is played: once the driver has applied a
 * Deployment, its pods run and its status catches up with its newest generation.
 */
export default async function globalSetup() {
  const { port, token } = e2eCluster();
  const cluster = new FakeKubernetesApiServer({ token });
  await cluster.start(port);
  const controller = setInterval(() => cluster.rollOutDeployments(), 500);
  return async () => {
    clearInterval(controller);
    await cluster.stop();
  };
}
