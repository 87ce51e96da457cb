import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { Entity } from '@backstage/catalog-model';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createReconcileCellAction } from './reconcileCell';

/** A real HTTP peer answering the platform backend's reconcile route. */
function platformBackend(answer: (cell: string) => [number, object]) {
  const received: Array<{ path: string; authorization?: string }> = [];
  const server = http.createServer((req, res) => {
    received.push({
      path: req.url!,
      authorization: req.headers.authorization,
    });
    const cell = /^\/cells\/([^/]+)\/runtime\/reconcile$/.exec(req.url!)?.[1];
    const [status, body] =
      req.method === 'POST' && cell
        ? answer(cell)
        : [404, { error: { message: 'no such route' } }];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  return {
    received,
    async start() {
      await new Promise<void>(resolve =>
        server.listen(0, '127.0.0.1', resolve),
      );
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    stop: () => new Promise(resolve => server.close(resolve)),
  };
}

const inSync = (cell: string) => ({
  cell,
  seen: true,
  gatewayUrl: 'http://127.0.0.1:7081',
  gateway: { source: 'local-runtime', state: 'running' },
  inSync: true,
  drift: false,
  pushedVersion: 'v42',
  consecutiveFailures: 0,
});

describe('cellport:runtime:reconcile', () => {
  const tenant: Entity = {
    apiVersion: 'cellport.dev/v1alpha1',
    kind: 'Tenant',
    metadata: { name: 'acme', namespace: 'default' },
    spec: {},
  };

  async function run(
    input: object,
    options: {
      baseUrl: string;
      entities?: Entity[];
      isDryRun?: boolean;
    },
  ) {
    const action = createReconcileCellAction({
      catalog: catalogServiceMock({ entities: options.entities ?? [] }),
      discovery: { getBaseUrl: async () => options.baseUrl } as any,
      auth: mockServices.auth(),
    });
    const logger = { info: jest.fn(), warn: jest.fn() };
    const ctx = {
      ...createMockActionContext({ input }),
      logger,
      isDryRun: options.isDryRun ?? false,
    };
    await action.handler({
      ...ctx,
      input: { waitFor: [], waitSeconds: 0, ...input },
    } as any);
    return {
      outputs: Object.fromEntries((ctx.output as jest.Mock).mock.calls),
      warnings: logger.warn.mock.calls.map(([message]) => message).join('\n'),
    };
  }

  let platform: ReturnType<typeof platformBackend>;
  let baseUrl: string;
  afterEach(() => platform?.stop());

  it('pushes the cell once the catalog serves the tenant, as the plugin itself', async () => {
    platform = platformBackend(cell => [200, inSync(cell)]);
    baseUrl = await platform.start();
    const { outputs } = await run(
      { cell: 'cell:default/eu-west-shared-1', waitFor: ['tenant:acme'] },
      { baseUrl, entities: [tenant] },
    );
    expect(outputs).toEqual({
      synced: true,
      version: 'v42',
      gatewayUrl: 'http://127.0.0.1:7081',
      gatewayState: 'running',
    });
    expect(platform.received).toEqual([
      {
        path: '/cells/eu-west-shared-1/runtime/reconcile',
        authorization: expect.stringMatching(/^Bearer .+/),
      },
    ]);
  });

  it('does not push before the catalog serves what it waits for', async () => {
    platform = platformBackend(cell => [200, inSync(cell)]);
    baseUrl = await platform.start();
    const { outputs } = await run(
      { cell: 'eu-west-shared-1', waitFor: ['tenant:default/acme'] },
      { baseUrl, entities: [] },
    );
    expect(outputs).toEqual({ synced: false });
    expect(platform.received).toEqual([]);
  });

  it('leaves the run successful but unsynced when the gateway is down', async () => {
    platform = platformBackend(cell => [
      200,
      { ...inSync(cell), inSync: false, lastError: 'connect ECONNREFUSED' },
    ]);
    baseUrl = await platform.start();
    const { outputs, warnings } = await run(
      { cell: 'eu-west-shared-1' },
      { baseUrl },
    );
    expect(outputs).toEqual({
      synced: false,
      gatewayUrl: 'http://127.0.0.1:7081',
      gatewayState: 'running',
    });
    expect(warnings).toMatch(/not in sync \(connect ECONNREFUSED\)/);
  });

  it("waits while a new cell's gateway is starting, then names where it answers", async () => {
    let asked = 0;
    platform = platformBackend(cell => {
      asked += 1;
      return [
        200,
        asked < 3
          ? {
              ...inSync(cell),
              seen: false,
              inSync: false,
              gatewayUrl: undefined,
              gateway: { source: 'local-runtime', state: 'starting' },
            }
          : { ...inSync(cell), gatewayUrl: 'http://127.0.0.1:7085' },
      ];
    });
    baseUrl = await platform.start();
    const { outputs } = await run(
      { cell: 'acme-dedicated', waitSeconds: 30 },
      { baseUrl },
    );
    expect(asked).toBe(3);
    expect(outputs).toEqual({
      synced: true,
      version: 'v42',
      gatewayUrl: 'http://127.0.0.1:7085',
      gatewayState: 'running',
    });
  });

  it('says where the gateway of a cell nothing runs yet comes from', async () => {
    platform = platformBackend(cell => [
      200,
      {
        ...inSync(cell),
        inSync: false,
        gatewayUrl: undefined,
        gateway: {
          source: 'none',
          state: 'not-configured',
          detail: 'No gateway URL',
        },
      },
    ]);
    baseUrl = await platform.start();
    const { outputs, warnings } = await run(
      { cell: 'acme-dedicated' },
      { baseUrl },
    );
    expect(outputs).toEqual({ synced: false, gatewayState: 'not-configured' });
    expect(warnings).toMatch(/applying the cell's manifests \(the Deploy card/);
  });

  it('says what the platform backend answered when it refuses', async () => {
    platform = platformBackend(() => [
      403,
      { error: { message: 'not allowed' } },
    ]);
    baseUrl = await platform.start();
    const { outputs, warnings } = await run(
      { cell: 'eu-west-shared-1' },
      { baseUrl },
    );
    expect(outputs).toEqual({ synced: false });
    expect(warnings).toBe(
      'The platform backend answered 403: not allowed; the reconciler retries cell eu-west-shared-1 on its own',
    );
  });

  it('reports an unreachable platform backend without failing', async () => {
    const { outputs, warnings } = await run(
      { cell: 'eu-west-shared-1' },
      { baseUrl: 'http://127.0.0.1:9' },
    );
    expect(outputs).toEqual({ synced: false });
    expect(warnings).toMatch(/could not be reached/);
  });

  it('pushes nothing in a dry run', async () => {
    platform = platformBackend(cell => [200, inSync(cell)]);
    baseUrl = await platform.start();
    const { outputs } = await run(
      { cell: 'eu-west-shared-1' },
      { baseUrl, isDryRun: true },
    );
    expect(outputs).toEqual({ synced: false });
    expect(platform.received).toEqual([]);
  });

  it('rejects a cell that is not a name or an entity ref', async () => {
    await expect(
      run({ cell: '../../etc' }, { baseUrl: 'http://127.0.0.1:9' }),
    ).rejects.toThrow('cell: "../../etc" is not a cell name or entity ref');
  });
});
