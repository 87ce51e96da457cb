import { Axis } from './Axis';
import { Legend } from './Legend';
import { colourOf, FRAME } from './palette';

export interface BarBucket {
  /** What the bucket is, e.g. "23 Nov 14:00". */
  label: string;
  values: Record<string, number>;
}

/** Bars per bucket, stacked by key (tenant, agent, outcome…), with a legend. */
export function StackedBarChart(props: {
  ariaLabel: string;
  buckets: BarBucket[];
  keys: string[];
  formatValue: (value: number) => string;
}) {
  const { buckets, keys, formatValue } = props;
  const { width, height, left, right, top, bottom } = FRAME;
  const totals = buckets.map(b =>
    keys.reduce((s, k) => s + (b.values[k] ?? 0), 0),
  );
  const max = Math.max(...totals, 0) || 1;
  const plotHeight = height - top - bottom;
  const slot = (width - left - right) / Math.max(buckets.length, 1);
  const barWidth = Math.max(slot * 0.7, 1);

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
          max={max}
          formatY={formatValue}
          firstX={buckets[0]?.label}
          lastX={buckets[buckets.length - 1]?.label}
        />
        {buckets.map((bucket, i) => {
          let y = top + plotHeight;
          return (
            // Labels may repeat (08:00 yesterday and today); the position is unique.
            <g key={i}>
              {keys.map((key, k) => {
                const value = bucket.values[key] ?? 0;
                const h = (value / max) * plotHeight;
                y -= h;
                return value > 0 ? (
                  <rect
                    key={key}
                    x={left + i * slot + (slot - barWidth) / 2}
                    y={y}
                    width={barWidth}
                    height={h}
                    fill={colourOf(k)}
                  >
                    <title>{`${bucket.label} · ${key}: ${formatValue(
                      value,
                    )}`}</title>
                  </rect>
                ) : null;
              })}
            </g>
          );
        })}
      </svg>
      <Legend names={keys} />
    </figure>
  );
}
