import { FakeKubernetesApiServer } from '@cellport/plugin-platform-node-test-utils';
import { e2eCluster } from './e2eCluster';

/**
 * Serves the cluster the test command configured for the portal (`CELLPORT_E2E_CLUSTER_*`),
 * so the browser tests can apply a cell from its Deploy card and read the rollout back.
 *
 * No kubelet runs here, so a healthy rollout is played: once the driver has applied a
 * Deployment, its pods run and its status catches up with its newest generation.
 */
export default async function globalSetup() {
  const configured = e2eCluster();
  if (!configured) return undefined;
  const cluster = new FakeKubernetesApiServer({ token: configured.token });
  await cluster.start(configured.port);
  const controller = setInterval(() => {
    try {
      cluster.rollOutDeployments();
    } catch (error) {
      // Seen by the deploy tests as a rollout that never finishes; say why here.
      process.stderr.write(
        `The e2e cluster could not roll out its Deployments: ${error}\n`,
      );
    }
  }, 500);
  return async () => {
    clearInterval(controller);
    await cluster.stop();
  };
}
