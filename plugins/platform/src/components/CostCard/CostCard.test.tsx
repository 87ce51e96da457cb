import { fireEvent, screen, waitFor } from '@testing-library/react';
import { CostBreakdown } from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import {
  pending,
  renderWithPlatform,
} from '../../__testUtils__/renderWithPlatform';
import { CostCard } from './CostCard';
import { bucketStarts, costBuckets } from './costBuckets';

const group = (key: string, costUsd: number) => ({
  key,
  costUsd,
  inputTokens: 0,
  outputTokens: 0,
  requests: 1,
});

const breakdown: CostBreakdown = {
  from: '2026-11-21T00:00:00.000Z',
  to: '2026-11-23T00:00:00.000Z',
  groupBy: 'tenant',
  granularity: 'day',
  totalUsd: 42.5,
  groups: [group('meridian-bank', 40), group('northwind', 2.5)],
  series: [
    {
      timestamp: '2026-11-22T00:00:00.000Z',
      key: 'meridian-bank',
      costUsd: 30,
    },
    {
      timestamp: '2026-11-21T00:00:00.000Z',
      key: 'meridian-bank',
      costUsd: 10,
    },
    { timestamp: '2026-11-22T00:00:00.000Z', key: 'northwind', costUsd: 2.5 },
  ],
};

describe('CostCard', () => {
  it('buckets the series by time and sums the smallest groups as other', () => {
    const many = {
      ...breakdown,
      groups: Array.from({ length: 8 }, (_, i) => group(`t${i}`, 10 - i)),
      series: Array.from({ length: 8 }, (_, i) => ({
        timestamp: '2026-11-22T00:00:00.000Z',
        key: `t${i}`,
        costUsd: 1,
      })),
    };
    const { keys, buckets } = costBuckets(many, t => t.slice(5, 10));
    expect(keys).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 'other']);
    expect(buckets).toEqual([
      {
        label: '11-22',
        values: { t0: 1, t1: 1, t2: 1, t3: 1, t4: 1, t5: 1, other: 2 },
      },
    ]);
    expect(costBuckets(breakdown, t => t).buckets.map(b => b.label)).toEqual([
      '2026-11-21T00:00:00.000Z',
      '2026-11-22T00:00:00.000Z',
    ]);
  });

  it('spans the whole range, quiet hours included', () => {
    const starts = bucketStarts(
      { from: '2026-11-23T09:30:00.000Z', to: '2026-11-23T12:00:00.000Z' },
      'hour',
    );
    expect(starts).toEqual([
      '2026-11-23T09:00:00.000Z',
      '2026-11-23T10:00:00.000Z',
      '2026-11-23T11:00:00.000Z',
    ]);
    const { buckets } = costBuckets(
      {
        ...breakdown,
        series: [
          { timestamp: '2026-11-23T10:00:00Z', key: 'northwind', costUsd: 1 },
        ],
      },
      t => t.slice(11, 16),
      starts,
    );
    expect(buckets).toEqual([
      { label: '09:00', values: {} },
      { label: '10:00', values: { northwind: 1 } },
      { label: '11:00', values: {} },
    ]);
  });

  it('shows loading', async () => {
    await renderWithPlatform(<CostCard scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({ getCostBreakdown: jest.fn(() => pending()) }),
    });
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('stacks cost by the grouping in the URL, and changes it', async () => {
    const api = mockPlatformApi({
      getCostBreakdown: jest.fn(async () => breakdown),
    });
    await renderWithPlatform(<CostCard scope={{ cell: 'c' }} />, {
      api,
      search: '?range=7d&costBy=agent',
    });
    expect(await screen.findByText('$42.50 in token cost')).toBeInTheDocument();
    expect(api.getCostBreakdown).toHaveBeenLastCalledWith(
      expect.anything(),
      { cell: 'c' },
      { groupBy: 'agent', granularity: 'day' },
    );
    const chart = screen.getByRole('img', {
      name: 'Token cost by agent over time',
    });
    for (const { key } of breakdown.groups)
      expect(chart).toHaveTextContent(key);
    expect(chart.querySelectorAll('.recharts-bar')).toHaveLength(
      breakdown.groups.length,
    );
    fireEvent.change(screen.getByLabelText('Stack by'), {
      target: { value: 'modelProfile' },
    });
    await waitFor(() =>
      expect(api.getCostBreakdown).toHaveBeenLastCalledWith(
        expect.anything(),
        { cell: 'c' },
        { groupBy: 'modelProfile', granularity: 'day' },
      ),
    );
    expect(screen.getByLabelText('location')).toHaveTextContent(
      'costBy=modelProfile',
    );
  });

  it('says there is no traffic yet in this range', async () => {
    await renderWithPlatform(<CostCard scope={{ cell: 'c' }} />, {
      api: mockPlatformApi(),
    });
    expect(
      await screen.findByText(/No traffic yet in this range/),
    ).toBeInTheDocument();
  });

  it('shows the error', async () => {
    await renderWithPlatform(<CostCard scope={{ cell: 'c' }} />, {
      api: mockPlatformApi({
        getCostBreakdown: jest.fn(async () => {
          throw new Error('403 Not allowed: platform.cost.read');
        }),
      }),
    });
    expect(
      (await screen.findAllByText(/platform.cost.read/)).length,
    ).toBeGreaterThan(0);
  });

  it('compares the range with the previous one of the same length, and names the top movers', async () => {
    const previous: CostBreakdown = {
      ...breakdown,
      from: '2026-11-19T00:00:00.000Z',
      to: '2026-11-21T00:00:00.000Z',
      totalUsd: 35,
      groups: [group('meridian-bank', 20), group('acme', 15)],
    };
    const api = mockPlatformApi({
      // The previous range ends a week ago; the page's range ends now.
      getCostBreakdown: jest.fn(async range =>
        Date.parse(range.to) < Date.now() - 3600_000 ? previous : breakdown,
      ),
    });
    await renderWithPlatform(<CostCard scope={{ cell: 'c' }} />, {
      api,
      search: '?range=7d',
    });
    expect(await screen.findByText('$42.50 in token cost')).toBeInTheDocument();
    const [current] = (api.getCostBreakdown as jest.Mock).mock.calls[0];
    const week = 7 * 24 * 3600_000;
    expect(api.getCostBreakdown).toHaveBeenCalledWith(
      {
        from: new Date(Date.parse(current.from) - week).toISOString(),
        to: current.from,
      },
      { cell: 'c' },
      { groupBy: 'tenant', granularity: 'day' },
    );
    expect(
      screen.getByLabelText('Change against the previous period'),
    ).toHaveTextContent(
      'Against the previous period of the same length ($35.00): +$7.50 (+21.4%)',
    );
    const rows = screen
      .getByRole('table', { name: 'Top movers' })
      .querySelectorAll('tbody tr');
    expect([...rows].map(r => r.textContent)).toEqual([
      'meridian-bank$20.00$40.00+$20.00 (+100.0%)',
      'acme$15.00$0.00−$15.00 (−100.0%)',
      'northwind$0.00$2.50+$2.50 (new)',
    ]);
  });
});
