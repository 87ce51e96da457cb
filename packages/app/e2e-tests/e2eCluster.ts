/**
 * The Kubernetes cluster the test command points the portal at for the browser tests: the
 * Meridian cell's `spec.cluster`, served by `globalSetup.ts` on loopback. Undefined when the
 * browser tests run outside the test command (against a portal started by hand, which has no
 * such cluster configured).
 */
export function e2eCluster() {
  const port = Number(process.env.CELLPORT_E2E_CLUSTER_PORT);
  const token = process.env.CELLPORT_E2E_CLUSTER_TOKEN;
  if (!port || !token) return undefined;
  return { port, token, url: `http://127.0.0.1:${port}` };
}

/** Why the deploy tests are skipped without the test command's cluster. */
export const NO_E2E_CLUSTER =
  'CELLPORT_E2E_CLUSTER_PORT and CELLPORT_E2E_CLUSTER_TOKEN are not set: npm test configures the portal with a cluster and sets them';
