export { StackedBarChart } from './StackedBarChart';
export type { BarBucket } from './StackedBarChart';
export { LineChart } from './LineChart';
export type { LineSeries } from './LineChart';
export { CHART_HEIGHT, SERIES_COLOURS, colourOf } from './palette';
