import { Config } from '@backstage/config';
import { GPU_TYPES, GpuType } from '@cellport/plugin-platform-common';

/**
 * On-demand list prices per GPU-hour in US dollars (late 2025, large clouds), used when
 * `platform.cost.gpuHourlyUsd` does not set a type. Replace with negotiated prices in config.
 */
export const DEFAULT_GPU_HOURLY_USD: Record<GpuType, number> = {
  'H100-80GB': 6.98,
  'H200-141GB': 8.6,
  'A100-80GB': 4.1,
  'A100-40GB': 3.67,
  'L40S-48GB': 1.96,
  'L4-24GB': 0.8,
};

export function gpuPricesFromConfig(config: Config): Record<GpuType, number> {
  const prices = { ...DEFAULT_GPU_HOURLY_USD };
  const configured = config.getOptionalConfig('platform.cost.gpuHourlyUsd');
  for (const type of Object.keys(GPU_TYPES) as GpuType[]) {
    const price = configured?.getOptionalNumber(type);
    if (price !== undefined) prices[type] = price;
  }
  return prices;
}
