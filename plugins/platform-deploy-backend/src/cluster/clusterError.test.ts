import { closedPort } from '@cellport/plugin-platform-node-test-utils';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { KubernetesApiClient } from './KubernetesApiClient';

/**
 * A cluster's failure becomes a message that callers read (plan and status answers, apply
 * results, the audit log): it names the cluster as configured, without the secrets a URL, a
 * socket or something in front of the API server can carry.
 */

const TOKEN = 'sa-token-never-shown';
const NAMESPACE = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'a' },
};

function failureOf(url: string): Promise<Error> {
  return new KubernetesApiClient(
    { name: 'eks-test', url, token: TOKEN, skipTLSVerify: false },
    { timeoutMs: 5000 },
  )
    .get(NAMESPACE)
    .then(
      () => {
        throw new Error('the request did not fail');
      },
      error => error,
    );
}

describe('clusterError', () => {
  it("names an unreachable cluster's URL without its user, password or query, and not the address it resolved", async () => {
    const port = await closedPort();
    const error = await failureOf(
      `http://deployer:hunter2@localhost:${port}/proxy?token=from-url`,
    );
    expect(error.message).toBe(
      `Cluster "eks-test" (http://localhost:${port}/proxy) is unreachable: ECONNREFUSED`,
    );
  });

  it('says the status of an answer that is not a Kubernetes Status, never its body', async () => {
    // A proxy in front of the API server that echoes what it was sent and where it failed.
    const proxy = http.createServer((req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(
        `<html>upstream 10.20.0.7:6443 refused; ${req.headers.authorization}</html>`,
      );
    });
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const error = await failureOf(`http://127.0.0.1:${port}`);
      expect(error.message).toBe(
        'GET /api/v1: 502: the answer is not a Kubernetes Status',
      );
    } finally {
      proxy.close();
    }
  });
});
