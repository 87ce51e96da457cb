import { PlatformClient } from './PlatformClient';

function clientAnswering(status: number, body: unknown) {
  const fetch = jest.fn(
    async (_url: string, _init?: RequestInit) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      }),
  );
  const client = new PlatformClient({
    discoveryApi: {
      getBaseUrl: async (id: string) => `http://backend/api/${id}`,
    },
    fetchApi: { fetch: fetch as any },
  });
  return { client, fetch };
}

const range = {
  from: '2026-11-22T00:00:00.000Z',
  to: '2026-11-23T00:00:00.000Z',
};

describe('PlatformClient', () => {
  it('sends the range and only the filters that are set', async () => {
    const { client, fetch } = clientAnswering(200, { items: [] });
    await client.listDecisions(
      range,
      { cell: 'meridian-dedicated', fellBack: true, outcome: undefined },
      { limit: 50 },
    );
    const url = new URL(fetch.mock.calls[0][0]);
    expect(url.pathname).toBe('/api/platform/decisions');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      ...range,
      cell: 'meridian-dedicated',
      fellBack: 'true',
      limit: '50',
    });
  });

  it('starts, follows and cancels a replay job by its id', async () => {
    const { client, fetch } = clientAnswering(202, {
      id: 'a/b',
      state: 'running',
    });
    const change = {
      agents: { 'checkout-assistant': { policy: 'cost' as const } },
    };
    await client.startReplay({ agent: 'checkout-assistant', ...range, change });
    await client.getReplay('a/b');
    await client.cancelReplay('a/b');
    const [start, get, cancel] = fetch.mock.calls;
    expect(new URL(start[0]).pathname).toBe('/api/platform/replays');
    expect(start[1]?.method).toBe('POST');
    expect(JSON.parse(start[1]?.body as string)).toEqual({
      agent: 'checkout-assistant',
      ...range,
      change,
    });
    // An id is one path segment, whatever it holds.
    expect(new URL(get[0]).pathname).toBe('/api/platform/replays/a%2Fb');
    expect(get[1]?.method ?? 'GET').toBe('GET');
    expect(new URL(cancel[0]).pathname).toBe('/api/platform/replays/a%2Fb');
    expect(cancel[1]?.method).toBe('DELETE');
  });

  it("asks for a tenant's recommendations with the days to replay", async () => {
    const { client, fetch } = clientAnswering(200, { recommendations: [] });
    await client.listRecommendations({ tenant: 'northwind-retail', days: 7 });
    const url = new URL(fetch.mock.calls[0][0]);
    expect(url.pathname).toBe('/api/platform/recommendations');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 'northwind-retail',
      days: '7',
    });
  });

  it('asks for a traffic series in one request', async () => {
    const { client, fetch } = clientAnswering(200, { buckets: [] });
    await client.getTrafficSeries(range, { cell: 'c' }, 12);
    expect(fetch).toHaveBeenCalledTimes(1);
    const url = new URL(fetch.mock.calls[0][0]);
    expect(url.pathname).toBe('/api/platform/traffic');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      ...range,
      cell: 'c',
      buckets: '12',
    });
  });

  it("lists an agent's keys and rotates one by its tenant and prefix", async () => {
    const { client, fetch } = clientAnswering(200, { items: [] });
    await client.listApiKeys({ agent: 'checkout-assistant' });
    const url = new URL(fetch.mock.calls[0][0]);
    expect(url.pathname).toBe('/api/platform/api-keys');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      agent: 'checkout-assistant',
    });
    await client.rotateApiKey('northwind-retail', 'cpk_Checko');
    const [rotateUrl, init] = fetch.mock.calls[1];
    expect(new URL(rotateUrl).pathname).toBe('/api/platform/api-keys/rotate');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({
      tenant: 'northwind-retail',
      prefix: 'cpk_Checko',
    });
  });

  it('fails on a cell the catalog does not know', async () => {
    const { client } = clientAnswering(404, {
      error: { name: 'NotFoundError', message: 'No cell named "gone"' },
    });
    await expect(client.getCellRuntime('gone')).rejects.toThrow(
      '404 No cell named "gone"',
    );
  });

  it('reads every cell summary in one request', async () => {
    const { client, fetch } = clientAnswering(200, { cells: [] });
    await expect(client.getCellSummaries()).resolves.toEqual({ cells: [] });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/platform/cells/summary',
    );
  });

  it('fails with the status and the backend message', async () => {
    const { client } = clientAnswering(403, {
      error: { name: 'NotAllowedError', message: 'Not allowed: slo' },
    });
    await expect(client.getSloReport({ cell: 'x' })).rejects.toThrow(
      '403 Not allowed: slo',
    );
  });

  it('posts a reconcile to the cell', async () => {
    const { client, fetch } = clientAnswering(200, { cell: 'a b' });
    await client.reconcileCell('a b');
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/platform/cells/a%20b/runtime/reconcile',
    );
    expect(fetch.mock.calls[0][1]).toEqual({ method: 'POST' });
  });

  it('posts an apply with its override reason as JSON, and reads the plan by entity ref', async () => {
    const { client, fetch } = clientAnswering(200, { result: 'applied' });
    await client.applyDeploy('cell:default/a', 'INC-1');
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/platform-deploy/apply',
    );
    expect(fetch.mock.calls[0][1]).toEqual({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        entityRef: 'cell:default/a',
        overrideReason: 'INC-1',
      }),
    });
    await client.getDeployPlan('cell:default/a');
    expect(fetch.mock.calls[1][0]).toBe(
      'http://backend/api/platform-deploy/plan?entityRef=cell%3Adefault%2Fa',
    );
  });
});
