import { useTheme } from '@material-ui/core/styles';
import { FRAME } from './palette';

/** The y axis: four gridlines with labels, and the first and last x labels. */
export function Axis(props: {
  max: number;
  formatY: (value: number) => string;
  firstX?: string;
  lastX?: string;
}) {
  const theme = useTheme();
  const { width, height, left, right, top, bottom } = FRAME;
  const plotHeight = height - top - bottom;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const text = {
    fontSize: 11,
    fill: theme.palette.text.secondary,
  };
  return (
    <g aria-hidden>
      {ticks.map(t => {
        const y = top + plotHeight * (1 - t);
        return (
          <g key={t}>
            <line
              x1={left}
              x2={width - right}
              y1={y}
              y2={y}
              stroke={theme.palette.divider}
            />
            <text x={left - 4} y={y + 4} textAnchor="end" {...text}>
              {props.formatY(props.max * t)}
            </text>
          </g>
        );
      })}
      <text x={left} y={height - 6} {...text}>
        {props.firstX}
      </text>
      <text x={width - right} y={height - 6} textAnchor="end" {...text}>
        {props.lastX}
      </text>
    </g>
  );
}
