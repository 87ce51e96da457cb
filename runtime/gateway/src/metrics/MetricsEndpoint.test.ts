import type { SimulatorServer } from '@cellport/simulator';
import {
  eventually,
  KEYS,
  postChat,
  startGateway,
  startSimulator,
} from '../__testUtils__/fixtures';

// A scrape shows every tenant's spend and models, and costs the replica a counters read per
// tenant: production gives `/metrics` a port of its own (GATEWAY_METRICS_PORT), which only the
// monitoring namespace reaches, and scrapes that come together share one render.
describe('/metrics', () => {
  let simulator: SimulatorServer;

  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(async () => {
    await simulator.stop();
  });

  it('moves to its own port with GATEWAY_METRICS_PORT, and is not served on the API port', async () => {
    const { gateway, url } = await startGateway(simulator.url, {
      config: { metricsPort: 0 },
    });
    const metricsUrl = gateway.server.metricsUrl;
    try {
      expect(metricsUrl).not.toBe(url);
      const served = await postChat(url, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(served.status).toBe(200);

      // A tenant's key on the API port reads nothing of the others'.
      const onApi = await fetch(`${url}/metrics`, {
        headers: { authorization: `Bearer ${KEYS.brightpath}` },
      });
      expect(onApi.status).toBe(404);
      expect(await onApi.text()).not.toContain('cellport_gateway');

      const scraped = await fetch(`${metricsUrl}/metrics`);
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toMatch(
        /cellport_gateway_requests_total\{tenant="northwind",model="eu-small",outcome="success",status="200"\} 1/,
      );
      expect(text).toContain(
        'cellport_gateway_budget_remaining_usd{tenant="brightpath"} 50',
      );

      // Nothing but /metrics there: the API is not reachable through the metrics port.
      const models = await fetch(`${metricsUrl}/v1/models`, {
        headers: { authorization: `Bearer ${KEYS.northwind}` },
      });
      expect(models.status).toBe(404);
      expect((await models.json()).error.message).toContain(
        'it serves GET /metrics',
      );
      const chat = await postChat(metricsUrl, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(chat.status).toBe(404);
    } finally {
      await gateway.stop();
    }
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });

  it('renders once for the scrapes that come while it renders', async () => {
    const { gateway, url } = await startGateway(simulator.url);
    const { metrics, inFlight } = gateway.deps;
    const readBudgets = metrics.budgetLeft!;
    let reads = 0;
    let letRead!: () => void;
    const held = new Promise<void>(resolve => {
      letRead = resolve;
    });
    // The counters' read waits until every scrape has arrived.
    metrics.budgetLeft = async () => {
      reads += 1;
      await held;
      return readBudgets();
    };
    try {
      const scrapes = Array.from({ length: 20 }, () =>
        fetch(`${url}/metrics`).then(async response => ({
          status: response.status,
          text: await response.text(),
        })),
      );
      await eventually(() => inFlight.all === 20);
      letRead();
      const answers = await Promise.all(scrapes);
      expect(answers.map(answer => answer.status)).toEqual(Array(20).fill(200));
      for (const { text } of answers) {
        expect(text).toContain(
          'cellport_gateway_budget_remaining_usd{tenant="northwind"} 100',
        );
      }
      expect(reads).toBe(1);
    } finally {
      await gateway.stop();
    }
  });
});
