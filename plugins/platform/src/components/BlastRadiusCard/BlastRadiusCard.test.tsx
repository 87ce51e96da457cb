import { screen } from '@testing-library/react';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { BlastRadiusCard } from './BlastRadiusCard';

const group = (key: string, requests: number) => ({
  key,
  requests,
  costUsd: 1,
  inputTokens: 1,
  outputTokens: 1,
});

describe('BlastRadiusCard', () => {
  it('shows loading', async () => {
    await renderWithPlatform(<BlastRadiusCard cell="c" />, {
      api: mockPlatformApi({ getCostBreakdown: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows tenants and agents with their share of the traffic', async () => {
    const api = mockPlatformApi({
      getCostBreakdown: jest.fn(async (_range, _scope, { groupBy }) => ({
        from: '',
        to: '',
        groupBy:
          groupBy === 'modelProfile' ? ('model_profile' as const) : groupBy,
        granularity: 'day' as const,
        totalUsd: 2,
        series: [],
        groups:
          groupBy === 'tenant'
            ? [group('northwind', 25), group('contoso', 75)]
            : [group('checkout-assistant', 100)],
      })),
    });
    await renderWithPlatform(<BlastRadiusCard cell="eu" />, { api });
    const tenants = await screen.findByRole('table', { name: 'Tenant' });
    expect(tenants).toHaveTextContent('contoso7575.0%northwind2525.0%');
    expect(screen.getByRole('table', { name: 'Agent' })).toHaveTextContent(
      'checkout-assistant100100.0%',
    );
  });

  it('says there is no traffic yet in this range', async () => {
    await renderWithPlatform(<BlastRadiusCard cell="c" />, {
      api: mockPlatformApi(),
    });
    expect(
      await screen.findByText(/No traffic yet in this range/),
    ).toBeInTheDocument();
  });

  it('shows the error', async () => {
    await renderWithPlatform(<BlastRadiusCard cell="c" />, {
      api: mockPlatformApi({
        getCostBreakdown: jest.fn(async () => {
          throw new Error('500 boom');
        }),
      }),
    });
    expect((await screen.findAllByText(/500 boom/)).length).toBeGreaterThan(0);
  });
});
