import { fireEvent, screen } from '@testing-library/react';
import { useTimeRange } from './useTimeRange';
import { TimeRangePicker } from './TimeRangePicker';
import { timeRangeOf } from './useTimeRange';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
import { renderWithPlatform } from '../../__testUtils__/renderWithPlatform';

function RangeLabel() {
  return <p>{useTimeRange().label}</p>;
}

describe('TimeRangePicker', () => {
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
});
