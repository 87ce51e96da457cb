import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { LineChart, yDomain } from './LineChart';
import { StackedBarChart } from './StackedBarChart';

// jsdom lays nothing out, so the charts get a fixed size instead of their card's width.
const size = { width: 600, height: 240 };

describe('charts', () => {
  it('stacks bars per key, with a legend and units on the axis', () => {
    const { container } = render(
      <StackedBarChart
        {...size}
        ariaLabel="Cost by tenant"
        keys={['acme', 'globex']}
        buckets={[
          { label: '22 Nov', values: { acme: 2, globex: 1 } },
          { label: '23 Nov', values: { acme: 1 } },
        ]}
        formatValue={v => `$${v}`}
      />,
    );
    expect(
      screen.getByRole('img', { name: 'Cost by tenant' }),
    ).toBeInTheDocument();
    // One series per key; globex has no bar on 23 Nov.
    const series = container.querySelectorAll('.recharts-bar');
    expect(series).toHaveLength(2);
    expect(
      series[0].querySelectorAll('.recharts-bar-rectangle path'),
    ).toHaveLength(2);
    expect(
      series[1].querySelectorAll('.recharts-bar-rectangle path'),
    ).toHaveLength(1);
    expect(screen.getByText('acme')).toBeInTheDocument();
    expect(screen.getByText('globex')).toBeInTheDocument();
    expect(screen.getByText('22 Nov')).toBeInTheDocument();
    // Round ticks up to the tallest stack.
    expect(
      [...container.querySelectorAll('text')]
        .map(tick => tick.textContent)
        .filter(text => text?.startsWith('$')),
    ).toEqual(['$0', '$1', '$2', '$3']);
  });

  it('breaks a line where there is no sample', () => {
    const { container } = render(
      <LineChart
        {...size}
        ariaLabel="Latency"
        labels={['a', 'b', 'c']}
        series={[{ name: 'p95', values: [10, null, 30] }]}
        formatY={v => `${v} ms`}
        threshold={{ value: 20, label: 'Objective' }}
      />,
    );
    expect(screen.getByRole('img', { name: 'Latency' })).toBeInTheDocument();
    const d = container
      .querySelector('.recharts-line-curve')!
      .getAttribute('d')!;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(container.querySelectorAll('.recharts-line-dot')).toHaveLength(2);
    expect(screen.getByText('30 ms')).toBeInTheDocument();
    expect(screen.getByText('Objective')).toBeInTheDocument();
    expect(screen.getByText('p95')).toBeInTheDocument();
  });

  it('shows the hovered point with its unit', async () => {
    const { container } = render(
      <LineChart
        {...size}
        ariaLabel="Latency"
        labels={['a', 'b', 'c']}
        series={[{ name: 'p95', values: [10, 20, 30] }]}
        formatY={v => `${v} ms`}
      />,
    );
    fireEvent.mouseMove(container.querySelector('.recharts-surface')!, {
      clientX: 570,
      clientY: 100,
    });
    const tooltip = container.querySelector('.recharts-tooltip-wrapper')!;
    await waitFor(() => expect(tooltip).toHaveTextContent('p95 : 30 ms'));
    expect(tooltip).toHaveTextContent(/^c/);
  });

  it('spans the y axis over values, threshold and bounds', () => {
    const series = [{ name: 'a', values: [0.95, null, 0.99] }];
    expect(yDomain(series, { minY: 0.9, maxY: 1 })).toEqual([0.9, 1]);
    expect(yDomain([{ name: 'b', values: [-0.5, 0.5] }], {})).toEqual([
      -0.5, 0.5,
    ]);
    expect(yDomain([{ name: 'flat', values: [0, 0] }], {})).toEqual([0, 1]);
    expect(yDomain([], { threshold: 14.4 })).toEqual([0, 14.4]);
  });
});
