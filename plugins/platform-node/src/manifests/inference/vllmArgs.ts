import { InferenceDeploymentSpec } from '@cellport/plugin-platform-common';
import { GPU_MEMORY_UTILIZATION } from '@cellport/plugin-platform-common';

/** vLLM's command line for a deployment; one flag per spec field, nothing implicit. */
export function vllmArgs(
  spec: InferenceDeploymentSpec,
  port: number,
): string[] {
  const pipelineParallelism = spec.gpu.count / spec.tensorParallelism;
  const precision: Record<string, string[]> = {
    bf16: ['--dtype', 'bfloat16'],
    fp16: ['--dtype', 'float16'],
    fp8: ['--quantization', 'fp8'],
    // int8 and int4 weights come pre-quantized (AWQ, GPTQ); vLLM reads the method from them.
    int8: [],
    int4: [],
  };
  return [
    '--model',
    spec.model.name,
    '--host',
    '0.0.0.0',
    '--port',
    String(port),
    '--tensor-parallel-size',
    String(spec.tensorParallelism),
    ...(pipelineParallelism > 1
      ? ['--pipeline-parallel-size', String(pipelineParallelism)]
      : []),
    '--max-model-len',
    String(spec.maxContextLength),
    '--max-num-seqs',
    String(spec.maxConcurrentSequences),
    '--gpu-memory-utilization',
    String(GPU_MEMORY_UTILIZATION),
    ...precision[spec.model.precision],
  ];
}
