import { screen, within } from '@testing-library/react';
import { TrafficSummary } from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { TrafficCard } from './TrafficCard';

function summary(requests: number, errors: number): TrafficSummary {
  return {
    from: '',
    to: '',
    requests,
    byOutcome: { success: requests - errors, error: errors, rejected: 0 },
    decisions: requests,
    fallbacks: 3,
    cached: 0,
    inputTokens: 1000,
    outputTokens: 500,
    costUsd: 1.5,
    errorsByClass: {},
    latency: {
      upstream: { p50: 800, p95: 1500, p99: 2400 },
      overhead: { p50: 2, p95: 8.2, p99: 12 },
      router: { p50: 0.05, p95: 0.1, p99: 0.2 },
      ttft: { p50: null, p95: null, p99: null },
    },
  };
}

describe('TrafficCard', () => {
  it('shows loading', async () => {
    await renderWithPlatform(<TrafficCard scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({ getTrafficSeries: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows percentiles, availability and volume by outcome', async () => {
    const api = mockPlatformApi({
      getTrafficSeries: jest.fn(async () => ({
        ...summary(1000, 10),
        buckets: Array.from({ length: 12 }, (_, i) => ({
          ...summary(100, i % 3),
          from: new Date(Date.UTC(2026, 10, 23, i)).toISOString(),
        })),
      })),
    });
    await renderWithPlatform(<TrafficCard scope={{ cell: 'c' }} />, { api });
    expect(await screen.findByText('99.000%')).toBeInTheDocument();
    // One request for the totals and every chart point.
    expect(api.getTrafficSeries).toHaveBeenCalledTimes(1);
    expect(api.getTrafficSeries).toHaveBeenCalledWith(
      expect.objectContaining({ from: expect.any(String) }),
      { cell: 'c' },
      12,
    );
    expect(api.getTraffic).not.toHaveBeenCalled();
    const latency = screen.getByRole('table', { name: 'Latency percentiles' });
    expect(latency).toHaveTextContent('Upstream800 ms1.50 s2.40 s');
    expect(latency).toHaveTextContent('Time to first token———');
    expect(screen.getByText('1,500 tokens')).toBeInTheDocument();
    expect(screen.getByText('$1.50')).toBeInTheDocument();
    const latencyChart = screen.getByRole('img', {
      name: 'Upstream latency percentiles over time',
    });
    expect(latencyChart.querySelectorAll('.recharts-line')).toHaveLength(3);
    expect(latencyChart).toHaveTextContent('p50p95p99');
    // Every y tick carries its unit.
    expect(
      within(latencyChart).getAllByText(/^\d+(\.\d+)? (ms|s)$/).length,
    ).toBeGreaterThanOrEqual(3);
    const volume = screen.getByRole('img', {
      name: 'Requests by outcome over time',
    });
    expect(volume).toHaveTextContent('successerrorrejectedcancelled');
    expect(
      volume.querySelectorAll('.recharts-bar-rectangle path').length,
    ).toBeGreaterThan(0);
  });

  it('says there is no traffic yet in this range', async () => {
    await renderWithPlatform(<TrafficCard scope={{ cell: 'c' }} />, {
      api: mockPlatformApi(),
    });
    expect(
      await screen.findByText(/No traffic yet in this range/),
    ).toBeInTheDocument();
  });

  it('shows the error', async () => {
    await renderWithPlatform(<TrafficCard scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({
        getTrafficSeries: jest.fn(async () => {
          throw new Error('503 unavailable');
        }),
      }),
    });
    expect(
      (await screen.findAllByText(/503 unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
