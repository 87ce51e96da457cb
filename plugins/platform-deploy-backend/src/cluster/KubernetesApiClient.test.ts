import { FakeKubernetesApiServer } from '@cellport/plugin-platform-node-test-utils';
import { KubernetesApiClient } from './KubernetesApiClient';
import net, { AddressInfo, Socket } from 'node:net';
import { KubernetesApiError } from './KubernetesApiError';
import { KubernetesUnreachableError } from './KubernetesUnreachableError';

describe('KubernetesApiClient', () => {
  const server = new FakeKubernetesApiServer({ token: 'right-token' });
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => server.clearRequests());

  const client = (token: string) =>
    new KubernetesApiClient(
      { name: 'test', url: server.url, token, skipTLSVerify: false },
      { timeoutMs: 5000 },
    );

  it('maps kinds to resources by discovery, once per API group version', async () => {
    const api = client('right-token');
    expect(await api.resource('apps/v1', 'Deployment')).toEqual({
      name: 'deployments',
      namespaced: true,
    });
    expect(await api.resource('v1', 'Namespace')).toEqual({
      name: 'namespaces',
      namespaced: false,
    });
    expect(await api.resource('apps/v1', 'StatefulSet')).toBeDefined();
    expect(await api.resource('example.com/v1', 'Widget')).toBeUndefined();
    expect(server.requests.map(r => r.path)).toEqual([
      '/apis/apps/v1',
      '/api/v1',
      '/apis/example.com/v1',
    ]);
  });

  it('lists in all namespaces by label, giving items their type', async () => {
    server.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'a', labels: { team: 'x' } },
    });
    server.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'b', labels: { team: 'y' } },
    });
    const items = await client('right-token').list('v1', 'Namespace', 'team=x');
    expect(items.map(i => [i.apiVersion, i.kind, i.metadata.name])).toEqual([
      ['v1', 'Namespace', 'a'],
    ]);
    expect(
      await client('right-token').list('example.com/v1', 'Widget', 'team=x'),
    ).toEqual([]);
  });

  it('applies server-side under the field manager, without force, and dry-runs without storing', async () => {
    const namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'applied', labels: { applied: 'yes' } },
    };
    const api = client('right-token');
    const planned = await api.apply(namespace, 'cellport', { dryRun: true });
    expect(planned.metadata.labels).toEqual({
      applied: 'yes',
      'kubernetes.io/metadata.name': 'applied',
    });
    expect(server.get('v1', 'Namespace', undefined, 'applied')).toBeUndefined();
    await api.apply(namespace, 'cellport');
    expect(
      server.get('v1', 'Namespace', undefined, 'applied')!.metadata
        .managedFields[0],
    ).toMatchObject({ manager: 'cellport', operation: 'Apply' });
    expect(
      server.requests
        .filter(r => r.method === 'PATCH')
        .map(r => [r.path, r.contentType, r.query]),
    ).toEqual([
      [
        '/api/v1/namespaces/applied',
        'application/apply-patch+yaml',
        { dryRun: 'All', fieldManager: 'cellport', force: 'false' },
      ],
      [
        '/api/v1/namespaces/applied',
        'application/apply-patch+yaml',
        { fieldManager: 'cellport', force: 'false' },
      ],
    ]);
  });

  it('reads a list page by page', async () => {
    const names = Array.from({ length: 501 }, (_, i) => `paged-${i}`);
    for (const name of names) {
      server.put({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { paged: 'yes' } },
      });
    }
    const items = await client('right-token').list(
      'v1',
      'Namespace',
      'paged=yes',
    );
    expect(items.map(i => i.metadata.name)).toEqual(names);
    const lists = server.requests.filter(r => r.path === '/api/v1/namespaces');
    expect(lists.map(r => r.query.limit)).toEqual(['500', '500']);
    expect(lists[1].query.continue).toBeTruthy();
  });

  it("fails with the cluster's message, never the token", async () => {
    const error = await client('wrong-token')
      .get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } })
      .catch(e => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error.status).toBe(401);
    expect(error.message).toBe('GET /api/v1: 401 Unauthorized: Unauthorized');
    expect(error.message).not.toContain('wrong-token');
  });

  it('gives up on a cluster that accepts the connection but does not answer', async () => {
    const sockets: Socket[] = [];
    const silent = net.createServer(socket => sockets.push(socket));
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const error = await new KubernetesApiClient(
      { name: 'silent', url, token: 'right-token', skipTLSVerify: false },
      { timeoutMs: 200 },
    )
      .resource('v1', 'Namespace')
      .catch(e => e);
    sockets.forEach(socket => socket.destroy());
    silent.close();
    expect(error).toBeInstanceOf(KubernetesUnreachableError);
    // The request went out: whatever it asked may have happened.
    expect(error.sent).toBe(true);
    expect(error.message).toBe(
      `Cluster "silent" (${url}) did not answer: no answer within 200 ms`,
    );
  });
});
