import type {
  ServiceSloStatus,
  SloReport,
  SloStatus,
} from '../schema/openapi/generated/models';
import { errorBudgetCheck } from './errorBudgetCheck';

function status(
  name: string,
  indicator: 'availability' | 'latency',
  remainingFraction: number,
): SloStatus {
  return {
    objective: {
      name,
      indicator,
      target: 0.999,
      window: '28d',
      ...(indicator === 'latency' ? { thresholdMs: 500 } : {}),
    },
    source: 'default',
    totalEvents: 1000,
    goodEvents: 990,
    sli: 0.99,
    errorBudget: { remainingFraction },
    burnRates: { '5m': 0, '30m': 0, '1h': 0, '6h': 0, '3d': 0 },
    alerts: [],
    alertState: 'ok',
    state: remainingFraction <= 0 ? 'exhausted' : 'ok',
  };
}

function service(
  name: string,
  entry: Pick<ServiceSloStatus, 'status' | 'sliUnavailable'>,
): ServiceSloStatus {
  return {
    service: name,
    serviceTitle: name,
    sliSource: 'prometheus',
    objective: {
      name: `${name}-availability`,
      indicator: 'availability',
      target: 0.999,
      window: '28d',
    },
    source: 'default',
    owner: 'group:default/platform-sre',
    ...entry,
  };
}

const report = (
  objectives: SloStatus[],
  services?: ServiceSloStatus[],
): SloReport => ({
  scope: { kind: 'cell', name: 'eu-west-shared-1' },
  objectives,
  ...(services ? { services } : {}),
});

describe('errorBudgetCheck', () => {
  it('stops changes when any availability objective, the gateway’s or a service’s, is spent', () => {
    const check = errorBudgetCheck(
      report(
        [
          status('gateway-availability', 'availability', 0.4),
          status('gateway-latency', 'latency', -3),
        ],
        [
          service('memory-service', {
            status: status('memory-service-availability', 'availability', -9),
          }),
        ],
      ),
    );
    expect(check).toEqual({
      exhausted: true,
      budgets: [
        { objective: 'gateway-availability', remainingFraction: 0.4 },
        { objective: 'memory-service-availability', remainingFraction: -9 },
      ],
      unreadable: [],
    });
  });

  it('lets a spent latency budget through, and counts no budget left as spent', () => {
    expect(
      errorBudgetCheck(
        report([
          status('gateway-availability', 'availability', 0.1),
          status('gateway-latency', 'latency', -3),
        ]),
      ).exhausted,
    ).toBe(false);
    expect(
      errorBudgetCheck(
        report([status('gateway-availability', 'availability', 0)]),
      ).exhausted,
    ).toBe(true);
  });

  it('names an SLI Prometheus cannot answer for, without blocking on it', () => {
    const check = errorBudgetCheck(
      report(
        [status('gateway-availability', 'availability', 1)],
        [
          service('memory-service', {
            sliUnavailable: {
              reason: 'unreachable',
              message: 'Prometheus at http://prom:9090 is unreachable',
            },
          }),
          service('tool-gateway', {
            sliUnavailable: {
              reason: 'not-configured',
              message: 'no Prometheus',
            },
          }),
        ],
      ),
    );
    expect(check.exhausted).toBe(false);
    expect(check.unreadable).toEqual([
      {
        objective: 'memory-service-availability',
        message: 'Prometheus at http://prom:9090 is unreachable',
      },
    ]);
    expect(check.message).toBe(
      'Not counted, as an SLI that cannot be read does not block a deploy: memory-service-availability (Prometheus at http://prom:9090 is unreachable)',
    );
  });
});
