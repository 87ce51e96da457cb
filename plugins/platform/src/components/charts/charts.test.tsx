import { render, screen } from '@testing-library/react';
import { LineChart } from './LineChart';
import { StackedBarChart } from './StackedBarChart';

describe('charts', () => {
  it('stacks bars per key, with a legend and values on hover', () => {
    const { container } = render(
      <StackedBarChart
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
    expect(container.querySelectorAll('rect')).toHaveLength(3);
    expect(screen.getByText('22 Nov · acme: $2')).toBeInTheDocument();
    expect(screen.getByText('globex')).toBeInTheDocument();
  });

  it('breaks a line where there is no sample', () => {
    const { container } = render(
      <LineChart
        ariaLabel="Latency"
        labels={['a', 'b', 'c']}
        series={[{ name: 'p95', values: [10, null, 30] }]}
        formatY={v => `${v} ms`}
      />,
    );
    const d = container.querySelector('path')!.getAttribute('d')!;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(container.querySelectorAll('circle')).toHaveLength(2);
    expect(screen.getByText('c · p95: 30 ms')).toBeInTheDocument();
  });
});
