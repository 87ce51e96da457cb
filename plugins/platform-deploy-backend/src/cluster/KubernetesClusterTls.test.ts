import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createTestCertificates,
  FakeKubernetesApiServer,
  TestCertificates,
} from '@cellport/plugin-platform-node-test-utils';
import { KubernetesApiClient } from './KubernetesApiClient';
import { KubernetesClusterConfig } from './KubernetesClusterConfig';
import { KubernetesUnreachableError } from './KubernetesUnreachableError';

const TOKEN = 'tls-test-token';
const base64 = (text: string) => Buffer.from(text).toString('base64');

describe("The deploy driver's TLS options of a cluster entry", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-tls-'));
  let cluster: TestCertificates;
  let otherCa: TestCertificates;
  let server: FakeKubernetesApiServer;

  beforeAll(async () => {
    for (const sub of ['cluster', 'other']) {
      fs.mkdirSync(path.join(dir, sub));
    }
    cluster = createTestCertificates(path.join(dir, 'cluster'));
    otherCa = createTestCertificates(path.join(dir, 'other'));
    server = new FakeKubernetesApiServer({
      token: TOKEN,
      tls: { key: cluster.key, cert: cluster.cert },
    });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => server.clearRequests());

  /** A client for the entry as app-config gives it, read as the deploy driver reads it. */
  const clientFor = (tlsOptions: Record<string, unknown>) => {
    const lookup = KubernetesClusterConfig.fromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                {
                  name: 'eks-tls',
                  url: server.url,
                  authProvider: 'serviceAccount',
                  serviceAccountToken: TOKEN,
                  ...tlsOptions,
                },
              ],
            },
          ],
        },
      }),
    ).lookup('eks-tls');
    if (!lookup.configured) throw new Error(lookup.message);
    return new KubernetesApiClient(lookup.cluster, { timeoutMs: 5000 });
  };
  const discover = (tlsOptions: Record<string, unknown>) =>
    clientFor(tlsOptions).resource('v1', 'Namespace');

  it('trusts the API server whose CA is given as caData (base64 of the PEM)', async () => {
    expect(server.url).toMatch(/^https:/);
    expect(await discover({ caData: base64(cluster.ca) })).toEqual({
      name: 'namespaces',
      namespaced: false,
    });
  });

  it('trusts the API server whose CA is given as caFile', async () => {
    expect(await discover({ caFile: cluster.caFile })).toEqual({
      name: 'namespaces',
      namespaced: false,
    });
  });

  it('fails, naming the cluster, when no CA verifies its certificate, and sends nothing', async () => {
    const cases = [
      [
        {},
        "Give the CA that signed the API server's certificate as caData or caFile",
      ],
      [
        { caData: base64(otherCa.ca) },
        'The CA in caData or caFile did not verify its certificate',
      ],
    ] as const;
    for (const [tlsOptions, advice] of cases) {
      const error = await discover(tlsOptions).catch(e => e);
      expect(error).toBeInstanceOf(KubernetesUnreachableError);
      expect(error.sent).toBe(false);
      expect(error.message).toBe(
        `Cluster "eks-tls" (${server.url}): TLS verification failed: unable to verify the first certificate. ${advice}`,
      );
    }
    expect(server.requests).toEqual([]);
  });

  it('skips verification with skipTLSVerify: true', async () => {
    expect(await discover({ skipTLSVerify: true })).toEqual({
      name: 'namespaces',
      namespaced: false,
    });
  });
});
