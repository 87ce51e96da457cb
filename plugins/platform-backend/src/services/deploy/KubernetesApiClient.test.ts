import { FakeKubernetesApiServer } from '@cellport/plugin-platform-node-test-utils';
import { KubernetesApiClient } from './KubernetesApiClient';
import { KubernetesApiError } from './KubernetesApiError';

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

  it("fails with the cluster's message, never the token", async () => {
    const error = await client('wrong-token')
      .get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } })
      .catch(e => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error.status).toBe(401);
    expect(error.message).toBe('GET /api/v1: 401 Unauthorized: Unauthorized');
    expect(error.message).not.toContain('wrong-token');
  });
});
