import { screen, within } from '@testing-library/react';
import {
  mockPlatformApi,
  sloStatus,
} from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { SloCards } from './SloCards';

describe('SloCards', () => {
  it('shows loading while the report is on its way', async () => {
    await renderWithPlatform(<SloCards scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({ getSloReport: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows each SLO with SLI, budget left, burn rates and alert state', async () => {
    const api = mockPlatformApi({
      getSloReport: jest.fn(async () => ({
        scope: { kind: 'cell' as const, name: 'c' },
        objectives: [
          sloStatus(),
          sloStatus({
            objective: {
              name: 'gateway-overhead-p95',
              indicator: 'latency',
              metric: 'gateway-overhead',
              thresholdMs: 300,
              target: 0.95,
              window: '28d',
            },
            sli: 0.9,
            errorBudget: { remainingFraction: -1 },
            burnRates: { '1h': 20, '5m': 30, '6h': 2, '30m': 2, '3d': 1.5 },
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
          }),
        ],
      })),
    });
    await renderWithPlatform(<SloCards scope={{ cell: 'c' }} />, { api });
    expect(await screen.findByText('gateway-availability')).toBeInTheDocument();
    expect(api.getSloReport).toHaveBeenCalledWith({ cell: 'c' });
    expect(screen.getByText('99.950%')).toBeInTheDocument();
    expect(screen.getByText('50.0%')).toBeInTheDocument();
    expect(
      screen.getByText(
        '95.00% of requests with gateway-overhead under 300 ms over 28d',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('exhausted (2.00× spent)')).toBeInTheDocument();
    // One word per SLO, and a spent budget is never "ok".
    expect(
      screen.getByLabelText('gateway-overhead-p95 state'),
    ).toHaveTextContent(/^exhausted$/);
    expect(
      screen.getByLabelText('gateway-availability state'),
    ).toHaveTextContent(/^ok$/);
    const burn = screen.getByRole('table', {
      name: 'gateway-overhead-p95 burn rates',
    });
    expect(burn).toHaveTextContent('20.0× / 30.0×');
    expect(burn).toHaveTextContent('14.4×');
    expect(within(burn).getAllByText('page')).toHaveLength(2);
    const budgetChart = screen.getByRole('img', {
      name: 'gateway-availability error budget left over time',
    });
    expect(budgetChart).toHaveTextContent('Budget spent');
    expect(budgetChart).toHaveTextContent('Error budget left');
    expect(budgetChart.querySelectorAll('.recharts-line-dot')).toHaveLength(2);
  });

  it('says what to do without SLOs', async () => {
    await renderWithPlatform(<SloCards scope={{ cell: 'c' }} />, {
      api: mockPlatformApi(),
    });
    expect(await screen.findByText('No SLOs')).toBeInTheDocument();
  });

  it('shows the error', async () => {
    await renderWithPlatform(<SloCards scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({
        getSloReport: jest.fn(async () => {
          throw new Error('403 Not allowed: platform.slo.read');
        }),
      }),
    });
    expect(
      (await screen.findAllByText(/Not allowed: platform.slo.read/)).length,
    ).toBeGreaterThan(0);
  });

  it.each([
    [
      'no traffic in the window',
      { totalEvents: 0, goodEvents: 0, sli: null },
      'no data',
    ],
    [
      'a spent budget with no alert firing',
      { errorBudget: { remainingFraction: 0 }, alertState: 'ok' as const },
      'exhausted',
    ],
    [
      'a page alert with budget left',
      { errorBudget: { remainingFraction: 0.4 }, alertState: 'page' as const },
      'burning (page)',
    ],
    [
      'a ticket alert with budget left',
      {
        errorBudget: { remainingFraction: 0.4 },
        alertState: 'ticket' as const,
      },
      'burning (ticket)',
    ],
  ])(
    'says one state that cannot contradict the budget: %s',
    async (_, overrides, word) => {
      const api = mockPlatformApi({
        getSloReport: jest.fn(async () => ({
          scope: { kind: 'cell' as const, name: 'c' },
          objectives: [sloStatus(overrides)],
        })),
      });
      await renderWithPlatform(<SloCards scope={{ cell: 'c' }} />, { api });
      expect(
        await screen.findByLabelText('gateway-availability state'),
      ).toHaveTextContent(new RegExp(`^${word.replace(/[()]/g, '\\$&')}$`));
      // The alert windows agree: "no data" without traffic, never "ok" beside it.
      const windows = within(
        screen.getByRole('table', { name: 'gateway-availability burn rates' }),
      )
        .getAllByRole('row')
        .slice(1)
        .map(row => row.textContent?.endsWith('no data'));
      expect(windows).toEqual(windows.map(() => word === 'no data'));
    },
  );

  it('links a burning or exhausted SLO to the decisions of its firing window', async () => {
    const api = mockPlatformApi({
      getSloReport: jest.fn(async () => ({
        scope: { kind: 'cell' as const, name: 'c' },
        objectives: [
          sloStatus({
            errorBudget: { remainingFraction: 0.4 },
            alertState: 'page',
            alerts: [
              {
                severity: 'page',
                longWindow: '6h',
                shortWindow: '30m',
                threshold: 6,
                firing: true,
              },
            ],
          }),
        ],
      })),
    });
    await renderWithPlatform(<SloCards scope={{ cell: 'c' }} />, { api });
    expect(
      await screen.findByRole('link', { name: 'Requests that burned it' }),
    ).toHaveAttribute(
      'href',
      expect.stringMatching(/routing\?range=6h&outcome=error$/),
    );
  });

  it('offers no such link while an SLO is ok', async () => {
    await renderWithPlatform(<SloCards scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({
        getSloReport: jest.fn(async () => ({
          scope: { kind: 'cell' as const, name: 'c' },
          objectives: [sloStatus()],
        })),
      }),
    });
    expect(await screen.findByText('gateway-availability')).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: 'Requests that burned it' }),
    ).not.toBeInTheDocument();
  });
});
