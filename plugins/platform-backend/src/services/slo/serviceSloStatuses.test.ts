import { cellEntitySchema, SloStatus } from '@cellport/plugin-platform-common';
import { TEST_ENTITIES } from '../../__testUtils__/entities';
import { PrometheusQueryClient } from '../prometheus/PrometheusQueryClient';
import { PrometheusSliSource } from '../prometheus/PrometheusSliSource';
import {
  PROMETHEUS_NOT_CONFIGURED,
  serviceSloStatuses,
} from './serviceSloStatuses';
import { closedPort } from '@cellport/plugin-platform-node-test-utils';

const cellNamed = (name: string) =>
  cellEntitySchema.parse(
    TEST_ENTITIES.find(e => e.kind === 'Cell' && e.metadata.name === name),
  );
const shared = cellNamed('eu-west-shared-1');

/** The engine's status of the cell's one event objective. */
const gatewayStatus = {
  objective: {
    name: 'gateway-availability',
    indicator: 'availability',
    target: 0.999,
    window: '30d',
  },
  source: 'entity',
  totalEvents: 10,
  goodEvents: 9,
  sli: 0.9,
} as SloStatus;

describe('serviceSloStatuses', () => {
  it("lists every runtime service's objectives, the gateway's with the engine's figures", async () => {
    const services = await serviceSloStatuses({
      cell: shared,
      eventStatuses: [gatewayStatus],
    });
    expect([...new Set(services.map(s => s.service))]).toEqual([
      'conversation-manager',
      'context-pack-compiler',
      'ai-gateway',
      'knowledge-substrate',
      'memory-service',
      'tool-gateway',
      'policy-engine',
      'audit-store',
    ]);
    const gateway = services.find(s => s.service === 'ai-gateway')!;
    expect(gateway).toMatchObject({
      serviceTitle: 'AI Gateway',
      sliSource: 'events',
      status: gatewayStatus,
      owner: 'group:platform-sre',
    });
    expect(gateway.sliUnavailable).toBeUndefined();
  });

  it('says Prometheus is not configured, naming the setting, without failing', async () => {
    const services = await serviceSloStatuses({
      cell: shared,
      eventStatuses: [gatewayStatus],
    });
    const memory = services.filter(s => s.service === 'memory-service');
    expect(memory.map(s => s.objective.name)).toEqual([
      'memory-service-availability',
      'memory-service-latency',
    ]);
    for (const entry of memory) {
      expect(entry.sliSource).toBe('prometheus');
      expect(entry.status).toBeUndefined();
      expect(entry.sliUnavailable).toEqual({
        reason: 'not-configured',
        message: PROMETHEUS_NOT_CONFIGURED,
      });
    }
    expect(PROMETHEUS_NOT_CONFIGURED).toBe(
      'Prometheus not configured: set platform.prometheus.baseUrl',
    );
  });

  it('says Prometheus is unreachable, and still gives the events-based figures', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const services = await serviceSloStatuses({
      cell: shared,
      eventStatuses: [gatewayStatus],
      prometheus: new PrometheusSliSource(
        new PrometheusQueryClient(down, 5_000),
      ),
    });
    expect(
      services.find(s => s.service === 'policy-engine')?.sliUnavailable,
    ).toEqual({
      reason: 'unreachable',
      message: `Prometheus at ${down} is unreachable: ECONNREFUSED`,
    });
    expect(services.find(s => s.service === 'ai-gateway')?.status).toBe(
      gatewayStatus,
    );
  });

  it("keeps a shared cell's cell-wide Prometheus SLIs from a caller restricted to some tenants", async () => {
    // The address is never asked: a restricted caller's answer is decided before any query.
    const down = `http://127.0.0.1:${await closedPort()}`;
    const services = await serviceSloStatuses({
      cell: shared,
      eventStatuses: [gatewayStatus],
      prometheus: new PrometheusSliSource(
        new PrometheusQueryClient(down, 5_000),
      ),
      restrictTo: { tenants: ['northwind-retail'] },
    });
    const tools = services.find(s => s.service === 'tool-gateway')!;
    expect(tools.status).toBeUndefined();
    expect(tools.sliUnavailable?.reason).toBe('restricted');
    expect(tools.sliUnavailable?.message).toMatch(
      /count every tenant's requests/,
    );

    // A cell of the caller's one tenant: its SLIs are that tenant's, so Prometheus is asked.
    const dedicated = {
      ...shared,
      spec: {
        ...shared.spec,
        tier: 'dedicated' as const,
        tenants: ['northwind-retail'],
      },
    };
    const own = await serviceSloStatuses({
      cell: dedicated,
      eventStatuses: [gatewayStatus],
      prometheus: new PrometheusSliSource(
        new PrometheusQueryClient(down, 5_000),
      ),
      restrictTo: { tenants: ['northwind-retail'] },
    });
    expect(
      own.find(s => s.service === 'tool-gateway')?.sliUnavailable?.reason,
    ).toBe('unreachable');
  });
});
