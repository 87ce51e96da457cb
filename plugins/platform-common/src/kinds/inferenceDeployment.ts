import { z } from 'zod';
import { entityRefSchema } from './common';
import { boundedInt, boundedNumber, contextLengthSchema } from './bounds';
import { platformEntitySchema } from './entity';
import { gpuTypeSchema, precisionSchema } from './gpus';

/** The most GPUs one node holds (8 × H100, H200 or A100): a replica's pod fits on one. */
export const GPUS_PER_NODE = 8;

/**
 * A self-hosted model served by vLLM on GPUs in a cell. It provides a ModelProfile, through
 * which the gateway routes to it.
 */
export const inferenceDeploymentSpecSchema = z
  .object({
    owner: entityRefSchema,
    cell: entityRefSchema,
    modelProfile: entityRefSchema,
    model: z.object({
      /** The model's repository id, as vLLM loads it. */
      name: z
        .string()
        .regex(
          /^[\w.-]+(\/[\w.-]+)?$/,
          'must be a model id such as "org/model"',
        ),
      /** Up to 10,000 billion: ten times the largest open-weight model. */
      parametersBillions: boundedNumber({
        min: 0,
        exclusiveMin: true,
        max: 10_000,
      }),
      precision: precisionSchema,
    }),
    gpu: z.object({
      type: gpuTypeSchema,
      /**
       * GPUs per replica. A replica is one pod, and a pod runs on one node: the largest GPU
       * nodes hold 8, so a replica asking for more would wait for a node that never comes.
       */
      count: boundedInt({ min: 0, exclusiveMin: true, max: GPUS_PER_NODE }),
    }),
    tensorParallelism: boundedInt({
      min: 0,
      exclusiveMin: true,
      max: GPUS_PER_NODE,
    }),
    maxContextLength: contextLengthSchema,
    /** vLLM schedules at most a few thousand sequences per replica; 4,096 is its ceiling here. */
    maxConcurrentSequences: boundedInt({
      min: 0,
      exclusiveMin: true,
      max: 4_096,
    }).default(64),
    replicas: z.object({
      /** Up to 1,000 replicas: more GPUs than any one cell's pool holds. */
      min: boundedInt({ min: 0, exclusiveMin: true, max: 1_000 }),
      max: boundedInt({ min: 0, exclusiveMin: true, max: 1_000 }),
      /** Waiting requests per replica above which the autoscaler adds one. */
      targetQueueDepth: boundedInt({
        min: 0,
        exclusiveMin: true,
        max: 10_000,
      }).default(8),
    }),
  })
  .superRefine((spec, ctx) => {
    if (spec.gpu.count % spec.tensorParallelism !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['tensorParallelism'],
        message: `must divide gpu.count (${spec.gpu.count})`,
      });
    }
    if (spec.replicas.min > spec.replicas.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['replicas', 'min'],
        message: `must not exceed replicas.max (${spec.replicas.max})`,
      });
    }
  });

export const inferenceDeploymentEntitySchema = platformEntitySchema(
  'InferenceDeployment',
  inferenceDeploymentSpecSchema,
  { dnsName: true, kubernetes: true },
);

export type InferenceDeploymentSpec = z.infer<
  typeof inferenceDeploymentSpecSchema
>;
export type InferenceDeploymentEntity = z.infer<
  typeof inferenceDeploymentEntitySchema
>;
