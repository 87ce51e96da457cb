import { FakeKubernetesApiServer } from '@cellport/plugin-platform-backend/testUtils';
import { e2eCluster } from './e2eCluster';

/**
 * Serves the cluster the test command configured for the portal (`CELLPORT_E2E_CLUSTER_*`),
 * so the browser tests can apply a cell from its Deploy card and read the rollout back.
 *
 * No kubelet runs here, so a Deployment controller's one visible effect is played: once the
 * driver has applied a Deployment, its status reports every desired replica updated, ready
 * and available for the newest generation, as it would after a healthy rollout.
 */
export default async function globalSetup() {
  const { port, token } = e2eCluster();
  const cluster = new FakeKubernetesApiServer({ token });
  await cluster.start(port);
  const controller = setInterval(() => {
    for (const deployment of cluster.list('Deployment')) {
      const { namespace, name, generation } = deployment.metadata;
      if (deployment.status?.observedGeneration === generation) continue;
      const replicas = deployment.spec?.replicas ?? 1;
      cluster.setStatus('apps/v1', 'Deployment', namespace, name, {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'NewReplicaSetAvailable',
          },
        ],
      });
    }
  }, 500);
  return async () => {
    clearInterval(controller);
    await cluster.stop();
  };
}
