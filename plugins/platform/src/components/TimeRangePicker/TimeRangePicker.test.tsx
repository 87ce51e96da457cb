import { fireEvent, screen, waitFor } from '@testing-library/react';
import { useTimeRange } from './useTimeRange';
import { TimeRangePicker } from './TimeRangePicker';
import { timeRangeOf } from './useTimeRange';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import { renderWithPlatform } from '../../__testUtils__/renderWithPlatform';

function RangeLabel() {
  return <p>{useTimeRange().label}</p>;
}

describe('TimeRangePicker', () => {
  beforeEach(() => window.sessionStorage.clear());

  it('computes a range ending on the next whole minute', () => {
    const now = Date.parse('2026-11-23T10:15:30.000Z');
    expect(timeRangeOf('1h', now)).toEqual({
      from: '2026-11-23T09:16:00.000Z',
      to: '2026-11-23T10:16:00.000Z',
    });
  });

  it('reads the range from the URL and writes the new one back', async () => {
    await renderWithPlatform(
      <>
        <TimeRangePicker />
        <RangeLabel />
      </>,
      { api: mockPlatformApi(), search: '?range=7d&outcome=error' },
    );
    expect(
      screen.getByText('Last 7 days', { selector: 'p' }),
    ).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Time range'), {
      target: { value: '1h' },
    });
    expect(
      await screen.findByText('Last hour', { selector: 'p' }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('location')).toHaveTextContent(
      '?range=1h&outcome=error',
    );
  });

  it('falls back to the last 24 hours for an unknown range', async () => {
    await renderWithPlatform(<RangeLabel />, {
      api: mockPlatformApi(),
      search: '?range=forever',
    });
    expect(screen.getByText('Last 24 hours')).toBeInTheDocument();
  });

  it('keeps the picked range on a tab opened without one, and puts it in its URL', async () => {
    const first = await renderWithPlatform(
      <>
        <TimeRangePicker />
        <RangeLabel />
      </>,
      { api: mockPlatformApi(), search: '?range=24h' },
    );
    fireEvent.change(screen.getByLabelText('Time range'), {
      target: { value: '7d' },
    });
    await screen.findByText('Last 7 days', { selector: 'p' });
    first.unmount();

    // Another entity tab: Backstage links to it without the query.
    await renderWithPlatform(<RangeLabel />, {
      api: mockPlatformApi(),
      search: '?decision=abc',
    });
    expect(screen.getByText('Last 7 days')).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByLabelText('location')).toHaveTextContent(
        '?decision=abc&range=7d',
      ),
    );
  });

  it('lets a pasted link win over the remembered range', async () => {
    window.sessionStorage.setItem('cellport.platform.timeRange', '30d');
    await renderWithPlatform(<RangeLabel />, {
      api: mockPlatformApi(),
      search: '?range=1h',
    });
    expect(screen.getByText('Last hour')).toBeInTheDocument();
    expect(window.sessionStorage.getItem('cellport.platform.timeRange')).toBe(
      '1h',
    );
  });
});
