import { z } from 'zod';
import { entityRefSchema } from './common';
import { platformEntitySchema } from './entity';
import { gpuTypeSchema, precisionSchema } from './gpus';

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
      parametersBillions: z.number().positive('must be greater than 0'),
      precision: precisionSchema,
    }),
    gpu: z.object({
      type: gpuTypeSchema,
      /** GPUs per replica. */
      count: z
        .int()
        .positive('must be greater than 0')
        .max(16, 'must be at most 16'),
    }),
    tensorParallelism: z.int().positive('must be greater than 0'),
    maxContextLength: z.int().positive('must be greater than 0'),
    maxConcurrentSequences: z
      .int()
      .positive('must be greater than 0')
      .default(64),
    replicas: z.object({
      min: z.int().positive('must be greater than 0'),
      max: z.int().positive('must be greater than 0'),
      /** Waiting requests per replica above which the autoscaler adds one. */
      targetQueueDepth: z.int().positive('must be greater than 0').default(8),
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
