import { GPU_TYPES, PRECISION_BYTES } from '../kinds/gpus';
import {
  GPUS_PER_NODE,
  InferenceDeploymentSpec,
} from '../kinds/inferenceDeployment';
import { findKnownModel } from './knownModels';

/** Share of GPU memory vLLM may use (its `--gpu-memory-utilization` default). */
export const GPU_MEMORY_UTILIZATION = 0.9;
/** Per-GPU memory for the CUDA context, activations and CUDA graphs. */
export const RUNTIME_OVERHEAD_GIB = 2.5;
/** Below this share of usable memory left over, the fit is reported as thin. */
export const THIN_HEADROOM_SHARE = 0.1;
/**
 * KV cache bytes per token per billion parameters for models whose attention shape is unknown:
 * the largest of the known models (a small Llama), so the estimate errs on the safe side.
 */
const UNKNOWN_MODEL_KV_BYTES_PER_TOKEN_PER_BILLION = 16 * 1024;

const GIB = 1024 ** 3;

export type GpuFitVerdict = 'fits' | 'thin' | 'does-not-fit';

/** How an inference deployment uses each GPU, in GiB, and whether it fits. */
export interface GpuFit {
  verdict: GpuFitVerdict;
  weightsGiB: number;
  kvCacheGiB: number;
  overheadGiB: number;
  /** Memory each GPU needs: weights and KV cache sharded over the replica's GPUs, plus overhead. */
  perGpuGiB: number;
  /** Memory vLLM may use on each GPU. */
  usableGiB: number;
  /** Usable minus needed; negative when it does not fit. */
  headroomGiB: number;
  /** The KV cache size comes from the model's known attention shape, not an estimate. */
  exactKvCache: boolean;
  message: string;
}

const gib = (n: number) => `${n.toFixed(1)} GiB`;

/**
 * Checks that one replica of an inference deployment fits its GPUs: weights at the chosen
 * precision plus a KV cache for `maxContextLength` tokens in each of `maxConcurrentSequences`
 * sequences (the worst case vLLM admits), sharded across the replica's GPUs, plus runtime
 * overhead on each, within vLLM's share of GPU memory.
 */
export function checkGpuFit(
  spec: Pick<
    InferenceDeploymentSpec,
    'model' | 'gpu' | 'maxContextLength' | 'maxConcurrentSequences'
  >,
): GpuFit {
  const gpu = GPU_TYPES[spec.gpu.type];
  const known = findKnownModel(spec.model.name);
  const weightsGiB =
    (spec.model.parametersBillions *
      1e9 *
      PRECISION_BYTES[spec.model.precision]) /
    GIB;
  // K and V, per layer and KV head, at 16 bits: vLLM keeps the KV cache in the activation dtype.
  const kvBytesPerToken = known
    ? 2 * known.layers * known.kvHeads * known.headDim * 2
    : spec.model.parametersBillions *
      UNKNOWN_MODEL_KV_BYTES_PER_TOKEN_PER_BILLION;
  const kvCacheGiB =
    (kvBytesPerToken * spec.maxContextLength * spec.maxConcurrentSequences) /
    GIB;
  const perGpuGiB =
    (weightsGiB + kvCacheGiB) / spec.gpu.count + RUNTIME_OVERHEAD_GIB;
  const usableGiB = gpu.memoryGiB * GPU_MEMORY_UTILIZATION;
  const headroomGiB = usableGiB - perGpuGiB;

  const need = `needs ${gib(perGpuGiB)} per GPU (weights ${gib(
    weightsGiB,
  )} and KV cache ${gib(kvCacheGiB)} over ${spec.gpu.count} GPU${
    spec.gpu.count > 1 ? 's' : ''
  }, plus ${gib(RUNTIME_OVERHEAD_GIB)} overhead)`;
  const usable = `${gib(usableGiB)} usable on an ${gpu.displayName}`;
  let verdict: GpuFitVerdict;
  let message: string;
  if (headroomGiB < 0) {
    verdict = 'does-not-fit';
    message = `Does not fit: ${need}, ${gib(
      -headroomGiB,
    )} more than the ${usable}. Lower the max context or concurrent sequences, ${
      spec.gpu.count < GPUS_PER_NODE
        ? 'add GPUs'
        : `pick a GPU with more memory (${GPUS_PER_NODE} is the most a replica may have)`
    }, or use a lower precision.`;
  } else if (headroomGiB < usableGiB * THIN_HEADROOM_SHARE) {
    verdict = 'thin';
    message = `Fits with thin headroom: ${need}, leaving ${gib(
      headroomGiB,
    )} of the ${usable}.`;
  } else {
    verdict = 'fits';
    message = `Fits: ${need}, leaving ${gib(headroomGiB)} of the ${usable}.`;
  }
  if (!known) {
    message += ` The KV cache is estimated: ${spec.model.name} is not a known model.`;
  }
  return {
    verdict,
    weightsGiB,
    kvCacheGiB,
    overheadGiB: RUNTIME_OVERHEAD_GIB,
    perGpuGiB,
    usableGiB,
    headroomGiB,
    exactKvCache: Boolean(known),
    message,
  };
}
