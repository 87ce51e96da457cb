import { Line, LineChart as RechartsLineChart, ReferenceLine } from 'recharts';
import { CHART_MARGIN, cartesianParts, seriesLegend } from './cartesianParts';
import { ChartFrame, ChartSize, useChartStyle } from './ChartFrame';
import { colourOf } from './palette';

export interface LineSeries {
  name: string;
  /** One y per x label; null where there is no sample (the line breaks there). */
  values: Array<number | null>;
}

/**
 * The y span: from 0 (or `minY`, or the lowest value) to the highest value, threshold or
 * `maxY`. A flat line still gets a span, or every tick would carry the same label.
 */
export function yDomain(
  series: LineSeries[],
  options: { minY?: number; maxY?: number; threshold?: number },
): [number, number] {
  const all = series.flatMap(s =>
    s.values.filter((v): v is number => v !== null),
  );
  const low = Math.min(options.minY ?? 0, ...all);
  const high = Math.max(...all, options.threshold ?? 0, options.maxY ?? 0);
  return [low, high > low ? high : low + (Math.abs(low) || 1)];
}

/** Lines over shared x labels, with an optional dashed threshold (an SLO target). */
export function LineChart(
  props: ChartSize & {
    ariaLabel: string;
    labels: string[];
    series: LineSeries[];
    /** Formats a y value with its unit, on the axis and in the tooltip. */
    formatY: (value: number) => string;
    threshold?: { value: number; label: string };
    /** The y axis starts here instead of 0 (budgets go below zero). */
    minY?: number;
    /** The y axis ends at least here (1 for a share). */
    maxY?: number;
  },
) {
  const style = useChartStyle();
  const { labels, series, formatY, threshold } = props;
  // Series are keyed by position: a name may be anything, including "x".
  const rows = labels.map((x, i) => ({
    x,
    ...Object.fromEntries(series.map((s, k) => [`s${k}`, s.values[i]])),
  }));
  const domain = yDomain(series, {
    minY: props.minY,
    maxY: props.maxY,
    threshold: threshold?.value,
  });

  return (
    <ChartFrame
      ariaLabel={props.ariaLabel}
      width={props.width}
      height={props.height}
      xCaption={props.xCaption}
    >
      {size => (
        <RechartsLineChart
          {...size}
          data={rows}
          accessibilityLayer={false}
          margin={CHART_MARGIN}
        >
          {cartesianParts(style, formatY, domain)}
          {threshold && (
            <ReferenceLine
              y={threshold.value}
              stroke={style.threshold}
              strokeDasharray="6 4"
              label={{
                value: threshold.label,
                position: 'insideBottomRight',
                fill: style.threshold,
                fontSize: 11,
              }}
            />
          )}
          {series.map((s, k) => (
            <Line
              key={s.name}
              dataKey={`s${k}`}
              name={s.name}
              stroke={colourOf(k)}
              strokeWidth={2}
              dot={{ r: 2.5, fill: colourOf(k) }}
              connectNulls={false}
              isAnimationActive={false}
            />
          ))}
          {seriesLegend(style)}
        </RechartsLineChart>
      )}
    </ChartFrame>
  );
}
