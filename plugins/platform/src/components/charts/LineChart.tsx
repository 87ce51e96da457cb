import { useTheme } from '@material-ui/core/styles';
import { Axis } from './Axis';
import { Legend } from './Legend';
import { colourOf, FRAME } from './palette';

export interface LineSeries {
  name: string;
  /** One y per x label; null where there is no sample (the line breaks there). */
  values: Array<number | null>;
}

/** Lines over shared x labels, with an optional dashed threshold (an SLO target). */
export function LineChart(props: {
  ariaLabel: string;
  labels: string[];
  series: LineSeries[];
  formatY: (value: number) => string;
  threshold?: { value: number; label: string };
  /** The y axis starts here instead of 0 (budgets go below zero). */
  minY?: number;
  /** The y axis ends at least here (1 for a share). */
  maxY?: number;
}) {
  const theme = useTheme();
  const { labels, series, formatY, threshold } = props;
  const { width, height, left, right, top, bottom } = FRAME;
  const all = series.flatMap(s =>
    s.values.filter((v): v is number => v !== null),
  );
  const minY = Math.min(props.minY ?? 0, ...all);
  const highest = Math.max(...all, threshold?.value ?? 0, props.maxY ?? 0);
  // A flat line still needs a y span, or every gridline gets the same label.
  const maxY = highest > minY ? highest : minY + (Math.abs(minY) || 1);
  const plotHeight = height - top - bottom;
  const xOf = (i: number) =>
    left + ((width - left - right) * i) / Math.max(labels.length - 1, 1);
  const yOf = (v: number) =>
    top + plotHeight * (1 - (v - minY) / (maxY - minY));

  const path = (values: Array<number | null>) =>
    values
      .map((v, i) =>
        v === null
          ? ''
          : `${i === 0 || values[i - 1] === null ? 'M' : 'L'}${xOf(i)},${yOf(
              v,
            )}`,
      )
      .join(' ');

  return (
    <figure style={{ margin: 0 }}>
      <svg
        role="img"
        aria-label={props.ariaLabel}
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        // Wide cards would scale the text up with the chart; cap the height instead.
        style={{ maxHeight: 280 }}
      >
        <Axis
          max={maxY - minY}
          formatY={v => formatY(v + minY)}
          firstX={labels[0]}
          lastX={labels[labels.length - 1]}
        />
        {threshold && (
          <line
            x1={left}
            x2={width - right}
            y1={yOf(threshold.value)}
            y2={yOf(threshold.value)}
            stroke={theme.palette.error.main}
            strokeDasharray="6 4"
          >
            <title>{threshold.label}</title>
          </line>
        )}
        {series.map((s, k) => (
          <g key={s.name}>
            <path
              d={path(s.values)}
              fill="none"
              stroke={colourOf(k)}
              strokeWidth={2}
            />
            {s.values.map((v, i) =>
              v === null ? null : (
                <circle
                  key={i}
                  cx={xOf(i)}
                  cy={yOf(v)}
                  r={2.5}
                  fill={colourOf(k)}
                >
                  <title>{`${labels[i]} · ${s.name}: ${formatY(v)}`}</title>
                </circle>
              ),
            )}
          </g>
        ))}
      </svg>
      <Legend names={series.map(s => s.name)} />
    </figure>
  );
}
