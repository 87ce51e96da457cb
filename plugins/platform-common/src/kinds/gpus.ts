import { z } from 'zod';

/**
 * GPU types the platform schedules inference on: their memory, and the `nvidia.com/gpu.product`
 * node label NVIDIA's GPU feature discovery puts on nodes that have them.
 */
export const GPU_TYPES = {
  'H100-80GB': {
    memoryGiB: 80,
    displayName: 'NVIDIA H100 80 GB',
    product: 'NVIDIA-H100-80GB-HBM3',
  },
  'H200-141GB': {
    memoryGiB: 141,
    displayName: 'NVIDIA H200 141 GB',
    product: 'NVIDIA-H200',
  },
  'A100-80GB': {
    memoryGiB: 80,
    displayName: 'NVIDIA A100 80 GB',
    product: 'NVIDIA-A100-SXM4-80GB',
  },
  'A100-40GB': {
    memoryGiB: 40,
    displayName: 'NVIDIA A100 40 GB',
    product: 'NVIDIA-A100-SXM4-40GB',
  },
  'L40S-48GB': {
    memoryGiB: 48,
    displayName: 'NVIDIA L40S 48 GB',
    product: 'NVIDIA-L40S',
  },
  'L4-24GB': {
    memoryGiB: 24,
    displayName: 'NVIDIA L4 24 GB',
    product: 'NVIDIA-L4',
  },
} as const;

export const gpuTypeSchema = z.enum(
  Object.keys(GPU_TYPES) as [
    keyof typeof GPU_TYPES,
    ...(keyof typeof GPU_TYPES)[],
  ],
);
export type GpuType = z.infer<typeof gpuTypeSchema>;

/** Weight precision and its bytes per parameter. */
export const PRECISION_BYTES = {
  bf16: 2,
  fp16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5,
} as const;
export const precisionSchema = z.enum(['bf16', 'fp16', 'fp8', 'int8', 'int4']);
export type Precision = z.infer<typeof precisionSchema>;
