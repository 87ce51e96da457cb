import { FakeKubernetesApiServer } from './FakeKubernetesApiServer';

const NAMESPACE = 'cellport-inference';

function deployment(containers: unknown[], volumes?: unknown[]) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'vllm', namespace: NAMESPACE },
    spec: {
      selector: { matchLabels: { app: 'vllm' } },
      template: {
        metadata: { labels: { app: 'vllm' } },
        spec: { containers, ...(volumes ? { volumes } : {}) },
      },
    },
  };
}

describe('FakeKubernetesApiServer server-side apply', () => {
  let server: FakeKubernetesApiServer;

  beforeEach(async () => {
    server = new FakeKubernetesApiServer();
    await server.start();
    server.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
  });

  afterEach(() => server.stop());

  async function apply(object: any, manager: string, force = false) {
    const { apiVersion, kind, metadata } = object;
    const plural = { Deployment: 'deployments', Service: 'services' }[
      kind as string
    ];
    const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
    const query = `fieldManager=${manager}${force ? '&force=true' : ''}`;
    const response = await fetch(
      `${server.url}${base}/namespaces/${metadata.namespace}/${plural}/${metadata.name}?${query}`,
      {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/apply-patch+yaml' },
        body: JSON.stringify(object),
      },
    );
    return { status: response.status, body: (await response.json()) as any };
  }

  const containersOf = () =>
    server.get('apps/v1', 'Deployment', NAMESPACE, 'vllm')!.spec.template.spec
      .containers;

  it('merges containers, their ports, env and volume mounts by key, keeping what another manager set', async () => {
    expect(
      (
        await apply(
          deployment(
            [
              {
                name: 'vllm',
                image: 'vllm:0.6',
                ports: [{ containerPort: 8000, name: 'http' }],
                env: [{ name: 'MODEL', value: 'llama' }],
                volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
                args: ['--port', '8000'],
              },
            ],
            [{ name: 'cache', emptyDir: {} }],
          ),
          'cellport',
        )
      ).status,
    ).toBe(201);

    // Another manager adds a sidecar, a port, an env var and a mount to the same container.
    expect(
      (
        await apply(
          deployment(
            [
              {
                name: 'vllm',
                ports: [{ containerPort: 9090, name: 'metrics' }],
                env: [{ name: 'OTEL_ENDPOINT', value: 'http://otel:4317' }],
                volumeMounts: [{ name: 'certs', mountPath: '/certs' }],
              },
              { name: 'proxy', image: 'envoy:1.30' },
            ],
            [{ name: 'certs', secret: { secretName: 'certs' } }],
          ),
          'mesh-injector',
        )
      ).status,
    ).toBe(200);

    const [vllm, proxy] = containersOf();
    expect(vllm.image).toBe('vllm:0.6');
    expect(vllm.args).toEqual(['--port', '8000']);
    // The API server defaults a port's protocol, one of its keys.
    expect(vllm.ports).toEqual([
      { containerPort: 8000, name: 'http', protocol: 'TCP' },
      { containerPort: 9090, name: 'metrics', protocol: 'TCP' },
    ]);
    expect(vllm.env.map((e: any) => e.name)).toEqual([
      'MODEL',
      'OTEL_ENDPOINT',
    ]);
    expect(vllm.volumeMounts.map((m: any) => m.mountPath)).toEqual([
      '/cache',
      '/certs',
    ]);
    expect(proxy).toEqual({ name: 'proxy', image: 'envoy:1.30' });
    expect(
      server
        .get('apps/v1', 'Deployment', NAMESPACE, 'vllm')!
        .spec.template.spec.volumes.map((v: any) => v.name),
    ).toEqual(['cache', 'certs']);

    // The first manager re-applies without its env var: only its own item goes, the
    // injector's stays, and the sidecar is untouched.
    await apply(
      deployment(
        [
          {
            name: 'vllm',
            image: 'vllm:0.7',
            ports: [{ containerPort: 8000, name: 'http' }],
            volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
            args: ['--port', '8000'],
          },
        ],
        [{ name: 'cache', emptyDir: {} }],
      ),
      'cellport',
    );
    const [updated, sidecar] = containersOf();
    expect(updated.image).toBe('vllm:0.7');
    expect(updated.env).toEqual([
      { name: 'OTEL_ENDPOINT', value: 'http://otel:4317' },
    ]);
    expect(updated.ports.map((p: any) => p.containerPort)).toEqual([
      8000, 9090,
    ]);
    expect(sidecar.name).toBe('proxy');

    const managed = server.get('apps/v1', 'Deployment', NAMESPACE, 'vllm')!
      .metadata.managedFields;
    const cellport = managed.find((m: any) => m.manager === 'cellport');
    expect(
      cellport.fieldsV1['f:spec']['f:template']['f:spec']['f:containers'][
        'k:{"name":"vllm"}'
      ]['f:ports']['k:{"containerPort":8000,"protocol":"TCP"}'],
    ).toEqual({ '.': {}, 'f:containerPort': {}, 'f:name': {} });
  });

  it('removes a container its only manager stopped applying', async () => {
    await apply(
      deployment([
        { name: 'vllm', image: 'vllm:0.6' },
        { name: 'exporter', image: 'exporter:1' },
      ]),
      'cellport',
    );
    await apply(deployment([{ name: 'vllm', image: 'vllm:0.6' }]), 'cellport');
    expect(containersOf()).toEqual([{ name: 'vllm', image: 'vllm:0.6' }]);
  });

  it('orders merged items as applied, keeping the others where they were', async () => {
    await apply(
      deployment([
        { name: 'a', image: 'a' },
        { name: 'c', image: 'c' },
      ]),
      'cellport',
    );
    await apply(
      deployment([
        { name: 'a', image: 'a' },
        { name: 'b', image: 'b' },
        { name: 'c', image: 'c' },
      ]),
      'cellport',
    );
    expect(containersOf().map((c: any) => c.name)).toEqual(['a', 'b', 'c']);
  });

  it('names the container in a conflict, and a forced apply takes only that field', async () => {
    server.put(
      deployment([
        {
          name: 'vllm',
          image: 'vllm:0.5',
          resources: { limits: { cpu: '4' } },
        },
      ]),
      'kubectl',
    );
    const refused = await apply(
      deployment([{ name: 'vllm', image: 'vllm:0.6' }]),
      'cellport',
    );
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.template.spec.containers[name="vllm"].image',
    );
    expect(refused.body.details.causes[0].field).toBe(
      '.spec.template.spec.containers[name="vllm"].image',
    );

    expect(
      (
        await apply(
          deployment([{ name: 'vllm', image: 'vllm:0.6' }]),
          'cellport',
          true,
        )
      ).status,
    ).toBe(200);
    expect(containersOf()).toEqual([
      { name: 'vllm', image: 'vllm:0.6', resources: { limits: { cpu: '4' } } },
    ]);
  });

  it("merges a Service's ports by port and protocol, and keeps other lists atomic", async () => {
    const service = (ports: unknown[], ipFamilies: string[]) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gateway', namespace: NAMESPACE },
      spec: { ports, ipFamilies },
    });
    await apply(
      service([{ name: 'http', port: 80, targetPort: 8080 }], ['IPv4']),
      'cellport',
    );
    await apply(
      service(
        [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53 },
        ],
        ['IPv6'],
      ),
      'other',
      true,
    );
    const stored = server.get('v1', 'Service', NAMESPACE, 'gateway')!;
    expect(stored.spec.ports.map((p: any) => p.name)).toEqual([
      'http',
      'dns',
      'dns-tcp',
    ]);
    // An atomic list is replaced whole: the forced apply took it.
    expect(stored.spec.ipFamilies).toEqual(['IPv6']);
  });
});

describe('FakeKubernetesApiServer requests as clients send them', () => {
  const server = new FakeKubernetesApiServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  const namespace = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { team: 'x' } },
  });

  it('takes an apply whose media type has parameters, and stores nothing on a dry run', async () => {
    const response = await fetch(
      `${server.url}/api/v1/namespaces/dry?fieldManager=cellport&force=false&dryRun=All`,
      {
        method: 'PATCH',
        headers: {
          'Content-Type': 'application/apply-patch+yaml; charset=utf-8',
        },
        body: JSON.stringify(namespace('dry')),
      },
    );
    expect(response.status).toBe(201);
    expect(((await response.json()) as any).metadata.labels).toEqual({
      team: 'x',
      'kubernetes.io/metadata.name': 'dry',
    });
    expect(server.get('v1', 'Namespace', undefined, 'dry')).toBeUndefined();
  });

  it('pages a list by limit and continue', async () => {
    for (const name of ['a', 'b', 'c']) server.put(namespace(name));
    const page = async (query: string) =>
      (await (
        await fetch(
          `${server.url}/api/v1/namespaces?labelSelector=team%3Dx&${query}`,
        )
      ).json()) as any;
    const first = await page('limit=2');
    expect(first.items.map((i: any) => i.metadata.name)).toEqual(['a', 'b']);
    const second = await page(`limit=2&continue=${first.metadata.continue}`);
    expect(second.items.map((i: any) => i.metadata.name)).toEqual(['c']);
    expect(second.metadata.continue).toBeUndefined();
    expect((await page('continue=not-a-token')).code).toBe(400);
  });
});
