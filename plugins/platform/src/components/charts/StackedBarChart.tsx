import { Bar, BarChart } from 'recharts';
import { CHART_MARGIN, cartesianParts, seriesLegend } from './cartesianParts';
import { ChartFrame, ChartSize, useChartStyle } from './ChartFrame';
import { colourOf } from './palette';

export interface BarBucket {
  /** What the bucket is, e.g. "23 Nov 14:00". */
  label: string;
  values: Record<string, number>;
}

/** Bars per bucket, stacked by key (tenant, agent, outcome…), with a legend. */
export function StackedBarChart(
  props: ChartSize & {
    ariaLabel: string;
    buckets: BarBucket[];
    keys: string[];
    /** Formats a value with its unit, on the axis and in the tooltip. */
    formatValue: (value: number) => string;
  },
) {
  const style = useChartStyle();
  const { buckets, keys, formatValue } = props;
  // Keys are keyed by position: a tenant may be called anything, including "x".
  const rows = buckets.map(b => ({
    x: b.label,
    ...Object.fromEntries(keys.map((key, k) => [`k${k}`, b.values[key] ?? 0])),
  }));

  // The tallest stack sets the axis, so that its ticks are round ones (niceTicks).
  const tallest = Math.max(
    0,
    ...buckets.map(b =>
      keys.reduce((sum, key) => sum + (b.values[key] ?? 0), 0),
    ),
  );

  return (
    <ChartFrame
      ariaLabel={props.ariaLabel}
      width={props.width}
      height={props.height}
      xCaption={props.xCaption}
    >
      {size => (
        <BarChart
          {...size}
          data={rows}
          accessibilityLayer={false}
          margin={CHART_MARGIN}
        >
          {cartesianParts(style, formatValue, [0, tallest || 1])}
          {keys.map((key, k) => (
            <Bar
              key={key}
              dataKey={`k${k}`}
              name={key}
              stackId="stack"
              fill={colourOf(k)}
              isAnimationActive={false}
            />
          ))}
          {seriesLegend(style)}
        </BarChart>
      )}
    </ChartFrame>
  );
}
