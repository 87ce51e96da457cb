import { screen } from '@testing-library/react';
import { TrafficSummary } from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { TrafficCard } from './TrafficCard';
import { splitRange } from './useTrafficSeries';

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
  it('splits the range into equal buckets', () => {
    const buckets = splitRange(
      { from: '2026-11-23T00:00:00.000Z', to: '2026-11-23T12:00:00.000Z' },
      12,
    );
    expect(buckets).toHaveLength(12);
    expect(buckets[1]).toEqual({
      from: '2026-11-23T01:00:00.000Z',
      to: '2026-11-23T02:00:00.000Z',
    });
  });

  it('shows loading', async () => {
    await renderWithPlatform(<TrafficCard scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({ getTraffic: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows percentiles, availability and volume by outcome', async () => {
    const api = mockPlatformApi({
      getTraffic: jest.fn(async () => summary(1000, 10)),
    });
    await renderWithPlatform(<TrafficCard scope={{ cell: 'c' }} />, { api });
    expect(await screen.findByText('99.000%')).toBeInTheDocument();
    expect(api.getTraffic).toHaveBeenCalledTimes(13);
    const latency = screen.getByRole('table', { name: 'Latency percentiles' });
    expect(latency).toHaveTextContent('Upstream800 ms1.50 s2.40 s');
    expect(latency).toHaveTextContent('Time to first token———');
    expect(screen.getByText('1,500 tokens')).toBeInTheDocument();
    expect(screen.getByText('$1.50')).toBeInTheDocument();
    expect(
      screen.getByRole('img', {
        name: 'Upstream latency percentiles over time',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('img', { name: 'Requests by outcome over time' }),
    ).toBeInTheDocument();
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
        getTraffic: jest.fn(async () => {
          throw new Error('503 unavailable');
        }),
      }),
    });
    expect(
      (await screen.findAllByText(/503 unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
