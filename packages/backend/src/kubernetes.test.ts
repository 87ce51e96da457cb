import { CATALOG_PROCESSING_INTERVAL } from './__testUtils__/catalogProcessing';
import { FakeKubernetesApiServer } from '@cellport/plugin-platform-node-test-utils';
import { ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

jest.setTimeout(240_000);

const repoRoot = path.resolve(__dirname, '../../..');
const CLUSTER_TOKEN = 'kubernetes-test-service-account-token';
const CELL = 'cell:default/meridian-dedicated';
const INFERENCE = 'inferencedeployment:default/llama-3-1-70b-meridian';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * The demo catalog's Meridian cell, its tenant, its GPU inference deployment, the model
 * profiles they reference and the groups and users, read from the demo catalog: the catalog
 * processes these few in seconds, where the whole demo catalog takes a minute on a small
 * machine.
 */
function meridianCatalog(): object[] {
  const wanted = new Set([
    'Tenant/meridian-bank',
    'Cell/meridian-dedicated',
    'InferenceDeployment/llama-3-1-70b-meridian',
    'ModelProfile/llama-3-1-70b-meridian',
    'ModelProfile/azure-gpt-4o-us',
  ]);
  return [
    'catalog-info.yaml',
    'examples/org.yaml',
    'examples/tenants.yaml',
    'examples/cells.yaml',
    'examples/inference-deployments.yaml',
    'examples/model-profiles.yaml',
  ]
    .flatMap(file =>
      parseAllDocuments(fs.readFileSync(path.join(repoRoot, file), 'utf8')).map(
        doc => doc.toJS(),
      ),
    )
    .filter(
      doc =>
        wanted.has(`${doc.kind}/${doc.metadata.name}`) ||
        doc.kind === 'Group' ||
        doc.kind === 'User',
    );
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

describe("Backstage's Kubernetes plugin against the cells' cluster", () => {
  const cluster = new FakeKubernetesApiServer({ token: CLUSTER_TOKEN });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellport-kubernetes-'));
  const logFile = path.join(dir, 'backend.log');
  const token = crypto.randomBytes(24).toString('base64url');
  let backend: ChildProcess | undefined;
  let baseUrl = '';
  let metricsUrl = '';

  const call = async (method: string, urlPath: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {} };
  };
  const waitForCatalog = async () => {
    for (const ref of [CELL, INFERENCE]) {
      const [kind, name] = ref.split(':default/');
      let status = 0;
      for (let attempt = 0; attempt < 180 && status !== 200; attempt++) {
        if (attempt > 0) await sleep(500);
        status = (
          await call(
            'GET',
            `/api/catalog/entities/by-name/${kind}/default/${name}`,
          )
        ).status;
      }
      expect(status).toBe(200);
    }
  };
  const log = () => fs.readFileSync(logFile, 'utf8').slice(-4000);

  beforeAll(async () => {
    await cluster.start();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const catalogFile = path.join(dir, 'catalog.yaml');
    fs.writeFileSync(
      catalogFile,
      meridianCatalog()
        .map(e => stringify(e))
        .join('---\n'),
    );
    const configFile = path.join(dir, 'app-config.yaml');
    fs.writeFileSync(
      configFile,
      stringify({
        backend: {
          baseUrl,
          listen: { host: '127.0.0.1', port },
          database: { client: 'better-sqlite3', connection: ':memory:' },
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: { token, subject: 'kubernetes-test' },
              },
            ],
          },
        },
        catalog: {
          processingInterval: CATALOG_PROCESSING_INTERVAL,
          rules: [
            {
              allow: [
                'Group',
                'User',
                'Tenant',
                'Cell',
                'ModelProfile',
                'InferenceDeployment',
              ],
            },
          ],
          locations: [{ type: 'file', target: catalogFile }],
        },
        // One cluster entry serves both Backstage's Kubernetes plugin and the deploy driver.
        kubernetes: {
          serviceLocatorMethod: { type: 'multiTenant' },
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                {
                  name: 'eks-us-east-1-meridian',
                  url: cluster.url,
                  authProvider: 'serviceAccount',
                  serviceAccountToken: CLUSTER_TOKEN,
                  skipMetricsLookup: true,
                },
              ],
            },
          ],
        },
        permission: { enabled: true },
        cellport: { permissions: { allowAll: true } },
        platform: { reconciler: { enabled: false } },
      }),
    );
    const out = fs.openSync(logFile, 'w');
    metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
    backend = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        // As in the portal's image: Prometheus metrics on a port of their own.
        '--require',
        path.join(__dirname, 'instrumentation.js'),
        path.join(__dirname, '__testUtils__/kubernetesTestBackend.ts'),
        '--config',
        configFile,
      ],
      {
        cwd: path.resolve(__dirname, '..'),
        stdio: ['ignore', out, out],
        env: {
          ...process.env,
          CELLPORT_METRICS_HOST: '127.0.0.1',
          CELLPORT_METRICS_PORT: new URL(metricsUrl).port,
        },
      },
    );
    for (let attempt = 0; ; attempt++) {
      if (backend.exitCode !== null || attempt > 240) {
        throw new Error(`The backend did not start:\n${log()}`);
      }
      try {
        const ready = await fetch(`${baseUrl}/.backstage/health/v1/readiness`);
        if (ready.ok) break;
      } catch {
        // not listening yet
      }
      await sleep(500);
    }
  });

  afterAll(async () => {
    if (backend && backend.exitCode === null) {
      const exited = new Promise(resolve => backend!.once('exit', resolve));
      backend.kill('SIGTERM');
      await exited;
    }
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the pods the deploy driver rolled out for a cell and its GPU inference deployment', async () => {
    await waitForCatalog();

    // The renderer leaves the inference namespace to the cluster's operators.
    cluster.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'cellport-inference' },
    });
    for (const entityRef of [CELL, INFERENCE]) {
      const applied = await call('POST', '/api/platform-deploy/apply', {
        entityRef,
      });
      expect({ status: applied.status, result: applied.body.result }).toEqual({
        status: 200,
        result: 'applied',
      });
    }
    cluster.rollOutDeployments();

    const workloads = async (entityRef: string) => {
      const response = await call(
        'POST',
        '/api/kubernetes/resources/workloads/query',
        { entityRef, auth: {} },
      );
      expect(response.status).toBe(200);
      expect(response.body.items).toHaveLength(1);
      const [item] = response.body.items;
      expect(item.cluster.name).toBe('eks-us-east-1-meridian');
      expect(item.errors).toEqual([]);
      const ofType = (type: string) =>
        item.resources.find((r: any) => r.type === type)?.resources ?? [];
      return { pods: ofType('pods'), deployments: ofType('deployments') };
    };

    const cell = await workloads(CELL);
    expect(cell.pods.map((p: any) => p.metadata.name)).toEqual([
      // The gateway's autoscaler keeps at least two.
      'cellport-gateway-g2-0',
      'cellport-gateway-g2-1',
    ]);
    expect(cell.pods[0].metadata.labels['backstage.io/kubernetes-id']).toBe(
      'meridian-dedicated',
    );
    expect(cell.deployments.map((d: any) => d.metadata.namespace)).toEqual([
      'cellport-runtime',
    ]);

    const inference = await workloads(INFERENCE);
    expect(inference.pods.map((p: any) => p.metadata.name)).toEqual([
      'llama-3-1-70b-meridian-g1-0',
    ]);
    expect(
      inference.pods[0].spec.containers[0].resources.limits['nvidia.com/gpu'],
    ).toBe('4');

    // The Kubernetes plugin asked the cluster by the entity's label, with the configured token.
    expect(cluster.requests).toContainEqual(
      expect.objectContaining({
        method: 'GET',
        path: '/api/v1/pods',
        query: {
          labelSelector: 'backstage.io/kubernetes-id=llama-3-1-70b-meridian',
        },
      }),
    );
  });

  it("serves Prometheus metrics: its HTTP server's and the catalog's", async () => {
    await waitForCatalog();
    const scrape = async () => {
      const response = await fetch(metricsUrl);
      expect(response.status).toBe(200);
      return response.text();
    };
    /** The value of the one sample of a metric with these labels, 0 while there is none. */
    const value = (metrics: string, name: string, labels: string[]) => {
      const lines = metrics
        .split('\n')
        .filter(
          line =>
            line.startsWith(`${name}{`) &&
            labels.every(label => line.includes(label)),
        );
      expect(lines.length).toBeLessThanOrEqual(1);
      return lines.length ? Number(lines[0].split(' ').pop()) : 0;
    };
    const notFound = (metrics: string) =>
      value(metrics, 'http_server_request_duration_count', [
        'http_request_method="GET"',
        'http_response_status_code="404"',
      ]);

    const before = notFound(await scrape());
    const missing = await call(
      'GET',
      '/api/catalog/entities/by-name/cell/default/no-such-cell',
    );
    expect(missing.status).toBe(404);
    // The request is recorded as its response ends: scrape until it shows.
    let metrics = await scrape();
    for (
      let attempt = 0;
      attempt < 20 && notFound(metrics) === before;
      attempt++
    ) {
      await sleep(250);
      metrics = await scrape();
    }
    expect(notFound(metrics)).toBe(before + 1);

    // Backstage's own metrics, through @opentelemetry/api: the catalog counts its entities.
    expect(value(metrics, 'catalog_entities_count', ['kind="cell"'])).toBe(1);
    // Request headers never become labels.
    expect(metrics).not.toContain(token);
  });
});
