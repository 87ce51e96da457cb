import { ErrorClass, errorClassSchema } from '@cellport/plugin-platform-common';
import {
  HISTOGRAM_BUCKET_COUNT,
  HISTOGRAM_METRICS,
  histogramColumn,
} from './histogram';

/** Rollups are kept at three resolutions; long ranges read the coarser ones. */
export type Granularity = 'minute' | 'hour' | 'day';

export const GRANULARITY_MINUTES: Record<Granularity, number> = {
  minute: 1,
  hour: 60,
  day: 1440,
};

export const ROLLUP_TABLES: Record<Granularity, string> = {
  minute: 'platform_rollups_minute',
  hour: 'platform_rollups_hour',
  day: 'platform_rollups_day',
};

/** The dimensions of a rollup row, its primary key. */
export const KEY_COLUMNS = [
  'bucket',
  'cell',
  'tenant',
  'agent',
  'model_profile',
  'outcome',
  'demo',
] as const;

export function errorClassColumn(errorClass: ErrorClass): string {
  return `err_${errorClass.replace(/-/g, '_')}`;
}

export const ERROR_CLASS_COLUMNS =
  errorClassSchema.options.map(errorClassColumn);

export const COUNTER_COLUMNS = [
  'requests',
  'decisions',
  'fallbacks',
  'cached',
  'input_tokens',
  'output_tokens',
  'cost_usd',
] as const;

export const HISTOGRAM_COLUMNS = HISTOGRAM_METRICS.flatMap(metric =>
  Array.from({ length: HISTOGRAM_BUCKET_COUNT }, (_, i) =>
    histogramColumn(metric, i),
  ),
);

/** Every column that rollups add up. */
export const SUM_COLUMNS: string[] = [
  ...COUNTER_COLUMNS,
  ...ERROR_CLASS_COLUMNS,
  ...HISTOGRAM_COLUMNS,
];

/** A rollup row: its key and the sums, with absent sums meaning 0. */
export interface RollupRow {
  bucket: number;
  cell: string;
  tenant: string;
  agent: string;
  model_profile: string;
  outcome: string;
  demo: number;
  [sum: string]: number | string;
}
