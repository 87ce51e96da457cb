import {
  ServiceSloStatus,
  sloState,
  SloAlertState,
} from '@cellport/plugin-platform-common';
import type { SloStatus } from '../slo/SloEngine';
import { cellSloSummary } from './cellSloSummary';

/** One objective's status: `remaining` of its budget left over `totalEvents`. */
function status(
  name: string,
  options: { remaining: number; totalEvents?: number; alert?: SloAlertState },
): SloStatus {
  const { remaining, totalEvents = 1000, alert = 'ok' } = options;
  return {
    objective: {
      name,
      indicator: 'availability',
      target: 0.999,
      window: '28d',
    },
    source: 'default',
    windowStart: '2026-11-05T12:00:00.000Z',
    windowEnd: '2026-12-03T12:00:00.000Z',
    totalEvents,
    goodEvents: totalEvents,
    sli: totalEvents ? 1 : null,
    meetingObjective: true,
    errorBudget: {
      allowedBadEvents: 1,
      consumedBadEvents: 1 - remaining,
      remainingBadEvents: remaining,
      consumedFraction: 1 - remaining,
      remainingFraction: remaining,
    },
    burnRates: { '5m': 0, '30m': 0, '1h': 0, '6h': 0, '3d': 0 },
    alerts: [],
    alertState: alert,
    state: sloState({
      totalEvents,
      remainingFraction: remaining,
      alertState: alert,
    }),
    budgetSeries: [],
  };
}

function service(
  name: string,
  read: SloStatus | ServiceSloStatus['sliUnavailable'],
): ServiceSloStatus {
  return {
    service: name.replace(/-availability$/, ''),
    serviceTitle: name,
    sliSource: 'prometheus',
    objective: {
      name,
      indicator: 'availability',
      target: 0.999,
      window: '28d',
    },
    source: 'default',
    owner: 'group:default/platform-sre',
    ...(read && 'state' in read ? { status: read } : { sliUnavailable: read }),
  };
}

const gateway = status('gateway-availability', { remaining: 0.8 });

describe('cellSloSummary', () => {
  it("counts the other runtime services' objectives read from Prometheus", () => {
    const memory = status('memory-service-availability', {
      remaining: -0.5,
      alert: 'page',
    });
    expect(
      cellSloSummary({
        objectives: [gateway],
        services: [
          { ...service('gateway-availability', gateway), sliSource: 'events' },
          service('memory-service-availability', memory),
        ],
      }),
    ).toEqual({
      sloState: 'exhausted',
      alertState: 'page',
      errorBudgetRemaining: -0.5,
    });
  });

  it('shows an objective Prometheus cannot answer for as "no data", never hiding a known state', () => {
    const unreachable = service('tool-gateway-availability', {
      reason: 'unreachable',
      message: 'Prometheus at http://prom:9090 is unreachable: ECONNREFUSED',
    });
    expect(
      cellSloSummary({ objectives: [gateway], services: [unreachable] }),
    ).toEqual({ sloState: 'ok', alertState: 'ok', errorBudgetRemaining: 0.8 });
    const quiet = status('gateway-availability', {
      remaining: 1,
      totalEvents: 0,
    });
    expect(
      cellSloSummary({ objectives: [quiet], services: [unreachable] }),
    ).toEqual({ sloState: 'no data', alertState: 'ok' });
  });

  it("is the gateway's alone without a configured Prometheus, or for a caller who may not see the cell's counts", () => {
    for (const reason of ['not-configured', 'restricted'] as const) {
      const hidden = service('memory-service-availability', {
        reason,
        message: reason,
      });
      expect(
        cellSloSummary({ objectives: [gateway], services: [hidden] }),
      ).toEqual({
        sloState: 'ok',
        alertState: 'ok',
        errorBudgetRemaining: 0.8,
      });
    }
    expect(cellSloSummary({ objectives: [] })).toEqual({
      sloState: undefined,
    });
  });
});
