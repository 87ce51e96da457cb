import { CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { bySeriesIndex, useChartStyle } from './ChartFrame';
import { niceTicks } from './niceTicks';

type ChartStyle = ReturnType<typeof useChartStyle>;

/** The room around the plot every chart of ours leaves for its axis labels. */
export const CHART_MARGIN = { top: 8, right: 24, bottom: 0, left: 8 };

/**
 * Grid, x axis of bucket labels, y axis and tooltip in our chart style, as elements to place
 * directly inside a recharts chart (recharts reads its direct children, so these are returned
 * as elements rather than wrapped in a component of ours).
 */
export function cartesianParts(
  style: ChartStyle,
  formatValue: (value: number) => string,
  yDomain?: [number, number],
) {
  return [
    <CartesianGrid key="grid" stroke={style.grid} vertical={false} />,
    <XAxis
      key="x"
      dataKey="x"
      tick={style.tick}
      axisLine={style.axisLine}
      tickLine={false}
      minTickGap={24}
    />,
    <YAxis
      key="y"
      {...(yDomain ? niceYAxis(yDomain) : {})}
      tickFormatter={formatValue}
      tick={style.tick}
      axisLine={false}
      tickLine={false}
      width={72}
    />,
    <Tooltip
      key="tooltip"
      {...style.tooltip}
      itemSorter={bySeriesIndex}
      formatter={value => formatValue(Number(value))}
    />,
  ];
}

/** A fixed span with round ticks, instead of recharts' own picks (0.33, 0.67…). */
function niceYAxis(span: [number, number]) {
  const { domain, ticks } = niceTicks(span);
  return { domain, ticks, interval: 0 as const, allowDataOverflow: true };
}

/** The series legend, in series order. */
export function seriesLegend(style: ChartStyle) {
  return (
    <Legend
      wrapperStyle={style.legend}
      iconType="square"
      itemSorter={bySeriesIndex}
    />
  );
}
