import { useTheme } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import { ReactElement } from 'react';
import { ResponsiveContainer } from 'recharts';
import { CHART_HEIGHT } from './palette';

/** Sizes every chart takes: the card's width by default, or fixed (tests, print). */
export interface ChartSize {
  /** Fixed width in pixels; without it the chart fills its container's width. */
  width?: number;
  height?: number;
  /** A line under the chart about its x axis, such as the time zone its labels are in. */
  xCaption?: string;
}

/**
 * The width drawn before the container is measured (one frame in a browser). Where nothing
 * measures (no ResizeObserver, as in jsdom) the chart keeps it instead of drawing nothing.
 */
const UNMEASURED_WIDTH = 600;

/**
 * Names the chart for screen readers (its numbers are also in the card's text and tooltips)
 * and sizes it: to the container's width, or to a fixed `width`.
 */
export function ChartFrame(
  props: ChartSize & {
    ariaLabel: string;
    children: (size: { width?: number; height: number }) => ReactElement;
  },
) {
  const height = props.height ?? CHART_HEIGHT;
  return (
    <div style={{ width: '100%' }}>
      <div role="img" aria-label={props.ariaLabel} style={{ width: '100%' }}>
        {props.width ? (
          props.children({ width: props.width, height })
        ) : (
          <ResponsiveContainer
            width="100%"
            height={height}
            minWidth={0}
            initialDimension={{ width: UNMEASURED_WIDTH, height }}
          >
            {props.children({ height })}
          </ResponsiveContainer>
        )}
      </div>
      {props.xCaption && (
        <Typography
          variant="caption"
          color="textSecondary"
          component="p"
          align="right"
        >
          {props.xCaption}
        </Typography>
      )}
    </div>
  );
}

/**
 * Series carry their position as data key (`s0`, `k1`…); legends and tooltips list them in
 * that order, the order of the stack, instead of recharts' alphabetical default.
 */
export const bySeriesIndex = (item: { dataKey?: unknown }) =>
  Number(String(item.dataKey).slice(1));

/** Axis, grid, tooltip and legend styling from the app's theme, light or dark. */
export function useChartStyle() {
  const theme = useTheme();
  const text = theme.palette.text.secondary;
  return {
    tick: { fontSize: 11, fill: text },
    axisLine: { stroke: theme.palette.divider },
    grid: theme.palette.divider,
    threshold: theme.palette.error.main,
    tooltip: {
      contentStyle: {
        background: theme.palette.background.paper,
        border: `1px solid ${theme.palette.divider}`,
        color: theme.palette.text.primary,
        fontSize: 12,
      },
      labelStyle: { color: theme.palette.text.primary, fontWeight: 600 },
    },
    legend: { fontSize: 12, color: theme.palette.text.primary },
  };
}
