import { screen, within } from '@testing-library/react';
import type { ServiceSloStatus } from '@cellport/plugin-platform-common';
import {
  mockPlatformApi,
  sloStatus,
} from '../../__testUtils__/mockPlatformApi';
import { renderWithPlatform } from '../../__testUtils__/renderWithPlatform';
import { SloCards } from './SloCards';

const gateway = sloStatus();
/** Memory Service, read from Prometheus: 2.5% of recalls failed, the 5m/1h page fires. */
const memoryAvailability = sloStatus({
  objective: {
    name: 'memory-service-availability',
    indicator: 'availability',
    target: 0.999,
    window: '28d',
  },
  source: 'default',
  totalEvents: 40_320.4,
  goodEvents: 39_312.39,
  sli: 0.975,
  errorBudget: { remainingFraction: -24 },
  burnRates: { '5m': 25, '30m': 25, '1h': 25, '6h': 25, '3d': 25 },
  alertState: 'page',
  alerts: [
    {
      severity: 'page',
      longWindow: '1h',
      shortWindow: '5m',
      threshold: 14.4,
      firing: true,
    },
  ],
  // Prometheus' course: a hundredth of 28 days apart (6 h 43 min), spent in the last step.
  budgetSeries: [
    { at: '2026-11-05T09:36:00Z', remaining: 1 },
    { at: '2026-11-05T16:19:12Z', remaining: 1 },
    { at: '2026-11-05T23:02:24Z', remaining: -24 },
  ].map(({ at, remaining }) => ({
    timestamp: at,
    remainingFraction: remaining,
    consumedFraction: 1 - remaining,
  })),
});

function entry(
  overrides: Partial<ServiceSloStatus> &
    Pick<ServiceSloStatus, 'service' | 'serviceTitle' | 'sliSource'>,
): ServiceSloStatus {
  return {
    objective: overrides.status?.objective ?? {
      name: `${overrides.service}-latency`,
      indicator: 'latency',
      target: 0.95,
      window: '28d',
      thresholdMs: 1500,
    },
    source: 'default',
    owner: 'group:default/platform-sre',
    ...overrides,
  };
}

function renderServices(services: ServiceSloStatus[]) {
  const api = mockPlatformApi({
    getSloReport: jest.fn(async () => ({
      scope: { kind: 'cell' as const, name: 'c' },
      objectives: [gateway],
      services,
    })),
  });
  return renderWithPlatform(<SloCards scope={{ cell: 'c' }} />, { api });
}

describe('SloCards of every runtime service', () => {
  it('shows each service with where its SLIs come from and the figures read from Prometheus', async () => {
    await renderServices([
      entry({
        service: 'ai-gateway',
        serviceTitle: 'AI Gateway',
        sliSource: 'events',
        status: gateway,
      }),
      entry({
        service: 'memory-service',
        serviceTitle: 'Memory Service (recall)',
        sliSource: 'prometheus',
        status: memoryAvailability,
      }),
    ]);
    const gatewaySection = await screen.findByRole('region', {
      name: 'AI Gateway',
    });
    expect(gatewaySection).toHaveTextContent("SLIs from the gateway's events");
    expect(gatewaySection).toHaveTextContent('99.950%');

    const memory = screen.getByRole('region', {
      name: 'Memory Service (recall)',
    });
    expect(memory).toHaveTextContent('SLIs from Prometheus');
    expect(
      within(memory).getByText('memory-service-availability'),
    ).toBeInTheDocument();
    expect(within(memory).getByText('97.500%')).toBeInTheDocument();
    expect(
      within(memory).getByText('exhausted (25.0× spent)'),
    ).toBeInTheDocument();
    // Prometheus' extrapolated counts, read as whole requests.
    expect(within(memory).getByText('1,008 / 40,320')).toBeInTheDocument();
    expect(
      within(memory).getByRole('table', {
        name: 'memory-service-availability burn rates',
      }),
    ).toHaveTextContent('25.0× / 25.0×');
    expect(
      within(memory).getByLabelText('memory-service-availability state'),
    ).toHaveTextContent(/^exhausted$/);
    // The same burn-down chart as the gateway's card, its hours-apart points told apart.
    const budgetChart = within(memory).getByRole('img', {
      name: 'memory-service-availability error budget left over time',
    });
    expect(budgetChart).toHaveTextContent('Error budget left');
    expect(budgetChart).toHaveTextContent('Budget spent');
    // Each label has the time beside the date (in the reader's zone, whichever that is).
    expect(budgetChart.textContent).toMatch(/left(\d\d-\d\d \d\d:\d\d){3}/);
    expect(within(memory).getByText(/^Times in /)).toBeInTheDocument();
    expect(budgetChart.querySelectorAll('.recharts-line-dot')).toHaveLength(3);
    // No routing decisions stand behind a Prometheus SLI: no link to them.
    expect(
      within(memory).queryByRole('link', { name: 'Requests that burned it' }),
    ).not.toBeInTheDocument();
  });

  it('says how to configure Prometheus, or why it could not be read, instead of figures', async () => {
    await renderServices([
      entry({
        service: 'tool-gateway',
        serviceTitle: 'Tool Gateway',
        sliSource: 'prometheus',
        sliUnavailable: {
          reason: 'not-configured',
          message: 'Prometheus not configured: set platform.prometheus.baseUrl',
        },
      }),
      entry({
        service: 'policy-engine',
        serviceTitle: 'Policy Engine',
        sliSource: 'prometheus',
        sliUnavailable: {
          reason: 'unreachable',
          message:
            'Prometheus at http://prometheus:9090 is unreachable: ECONNREFUSED',
        },
      }),
    ]);
    const tools = await screen.findByRole('region', { name: 'Tool Gateway' });
    expect(tools).toHaveTextContent('SLIs from Prometheus');
    expect(within(tools).getByText('tool-gateway-latency')).toBeInTheDocument();
    expect(
      within(tools).getByText('95.00% of requests under 1.50 s over 28d'),
    ).toBeInTheDocument();
    expect(
      within(tools).getByLabelText('tool-gateway-latency state'),
    ).toHaveTextContent(
      'Prometheus not configured: set platform.prometheus.baseUrl',
    );
    expect(
      screen.getByRole('region', { name: 'Policy Engine' }),
    ).toHaveTextContent(
      'Prometheus at http://prometheus:9090 is unreachable: ECONNREFUSED',
    );
    expect(screen.queryByText('Current SLI')).not.toBeInTheDocument();
  });
});
