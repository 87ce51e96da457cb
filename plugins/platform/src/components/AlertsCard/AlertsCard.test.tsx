import { screen, within } from '@testing-library/react';
import { ReceivedAlert } from '../../api';
import {
  mockPlatformApi,
  sloStatus,
} from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { AlertsCard } from './AlertsCard';

function received(overrides: Partial<ReceivedAlert> = {}): ReceivedAlert {
  return {
    fingerprint: 'a1b2c3d4e5f60718',
    alertname: 'CellportSloFastBurn',
    state: 'firing',
    cell: 'meridian-dedicated',
    tenant: 'meridian-health',
    service: 'ai-gateway',
    slo: 'gateway-availability',
    severity: 'P0',
    owner: 'group:default/platform-sre',
    summary:
      'AI Gateway in cell meridian-dedicated burns the error budget of gateway-availability 14.4x too fast',
    labels: {},
    annotations: {},
    startsAt: '2026-12-03T10:00:00.000Z',
    updatedAt: '2026-12-03T10:05:00.000Z',
    ...overrides,
  };
}

describe('AlertsCard', () => {
  it('shows loading while the alerts are on their way', async () => {
    await renderWithPlatform(<AlertsCard cell="c" />, {
      api: mockPlatformApi({ listAlerts: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('lists firing alerts with severity, service, SLO, since when and the decisions of their window', async () => {
    const api = mockPlatformApi({
      listAlerts: jest.fn(async () => ({
        items: [
          received(),
          received({
            fingerprint: 'b2',
            alertname: 'CellportSloSustainedBurn',
            severity: 'P1',
            service: 'llm-router',
            slo: 'router-decision-p95',
            summary: undefined,
            startsAt: '2026-12-03T06:30:00.000Z',
          }),
          received({
            fingerprint: 'c3',
            alertname: 'SomethingElse',
            severity: undefined,
            service: 'memory-service-ünï',
            slo: undefined,
            summary: 'Ärger im Speicher 🚨',
          }),
        ],
      })),
      getSloReport: jest.fn(async () => ({
        scope: { kind: 'cell' as const, name: 'meridian-dedicated' },
        objectives: [
          sloStatus(),
          sloStatus({
            objective: {
              name: 'router-decision-p95',
              indicator: 'latency',
              metric: 'router-decision',
              thresholdMs: 5,
              target: 0.95,
              window: '28d',
            },
          }),
        ],
      })),
    });
    await renderWithPlatform(
      <AlertsCard cell="meridian-dedicated" timeZone="Europe/Berlin" />,
      { api },
    );
    const table = await screen.findByRole('table', {
      name: 'Firing alerts of meridian-dedicated',
    });
    expect(api.listAlerts).toHaveBeenCalledWith({
      cell: 'meridian-dedicated',
      state: 'firing',
    });
    const [, page, sustained, other] = within(table).getAllByRole('row');
    expect(page).toHaveTextContent(
      'P0AI Gatewaygateway-availability3 Dec 2026, 11:00:00 CET' +
        'AI Gateway in cell meridian-dedicated burns the error budget of gateway-availability 14.4x too fast',
    );
    // A fast burn's window is the last hour; availability shows the failed requests.
    expect(
      within(page).getByRole('link', { name: 'Decisions in the window' }),
    ).toHaveAttribute('href', '/routing?range=1h&outcome=error');
    expect(sustained).toHaveTextContent(
      'P1LLM Routerrouter-decision-p953 Dec 2026, 07:30:00 CETCellportSloSustainedBurn',
    );
    expect(
      within(sustained).getByRole('link', { name: 'Decisions in the window' }),
    ).toHaveAttribute('href', '/routing?range=6h');
    expect(other).toHaveTextContent('—memory-service-ünï—');
    expect(other).toHaveTextContent('Ärger im Speicher 🚨');
    expect(
      within(other).getByRole('link', { name: 'Decisions in the window' }),
    ).toHaveAttribute('href', '/routing?range=30d');
  });

  it('says when nothing fires', async () => {
    await renderWithPlatform(<AlertsCard cell="quiet-cell" />, {
      api: mockPlatformApi(),
    });
    expect(
      await screen.findByText('No alert is firing for quiet-cell.'),
    ).toBeInTheDocument();
  });

  it("says when Alertmanager is silent while the portal's own burn rates page", async () => {
    await renderWithPlatform(<AlertsCard cell="meridian-dedicated" />, {
      api: mockPlatformApi({
        getSloReport: jest.fn(async () => ({
          scope: { kind: 'cell' as const, name: 'meridian-dedicated' },
          objectives: [sloStatus({ alertState: 'page' })],
        })),
      }),
    });
    expect(
      await screen.findByText(
        /^Alertmanager has sent no firing alert for meridian-dedicated, but the portal's own burn rates alert on gateway-availability \(page\)/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/No alert is firing/)).toBeNull();
  });

  it('says why the alerts could not be loaded', async () => {
    await renderWithPlatform(<AlertsCard cell="c" />, {
      api: mockPlatformApi({
        listAlerts: jest.fn(async () => {
          throw new Error('Not allowed: platform.slo.read');
        }),
      }),
    });
    expect(
      await screen.findByText(
        /Alerts could not be loaded\. The platform backend did not answer/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/Not allowed: platform.slo.read/)[0],
    ).toBeInTheDocument();
  });
});
