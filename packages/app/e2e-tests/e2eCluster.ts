/**
 * The Kubernetes cluster the test command points the portal at for the browser tests: the
 * Meridian cell's `spec.cluster`, served by `globalSetup.ts` on loopback.
 */
export function e2eCluster() {
  const port = Number(process.env.CELLPORT_E2E_CLUSTER_PORT);
  const token = process.env.CELLPORT_E2E_CLUSTER_TOKEN;
  if (!port || !token) {
    throw new Error(
      'CELLPORT_E2E_CLUSTER_PORT and CELLPORT_E2E_CLUSTER_TOKEN are not set: run the browser tests through the test command (npm test), which configures the portal with this cluster',
    );
  }
  return { port, token, url: `http://127.0.0.1:${port}` };
}
