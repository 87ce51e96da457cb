import { InputError } from '@backstage/errors';
import {
  findKnownModel,
  formatValidationIssues,
  InferenceDeploymentEntity,
  KUBERNETES_ID_ANNOTATION,
  PLATFORM_API_VERSION,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import type { InferenceDeploymentInput } from './planInferenceDeployment';

/**
 * The InferenceDeployment entity a form describes, validated against the platform schema.
 * A known model brings its parameter count; any other needs `parametersBillions`.
 */
export function buildInferenceDeployment(
  input: InferenceDeploymentInput,
): InferenceDeploymentEntity {
  const known = findKnownModel(input.model);
  const parametersBillions =
    input.parametersBillions ?? known?.parametersBillions;
  if (parametersBillions === undefined) {
    throw new InputError(
      `parametersBillions: ${input.model} is not a known model, so its parameter count is required`,
    );
  }
  const entity = {
    apiVersion: PLATFORM_API_VERSION,
    kind: 'InferenceDeployment',
    metadata: {
      name: input.name,
      title: `${known?.displayName ?? input.model} (${input.gpuCount} x ${
        input.gpuType
      })`,
      annotations: { [KUBERNETES_ID_ANNOTATION]: input.name },
    },
    spec: {
      owner: input.owner,
      cell: input.cell,
      modelProfile: input.name,
      model: {
        name: known?.name ?? input.model,
        parametersBillions,
        precision: input.precision,
      },
      gpu: { type: input.gpuType, count: input.gpuCount },
      tensorParallelism: input.tensorParallelism,
      maxContextLength: input.maxContextLength,
      maxConcurrentSequences: input.maxConcurrentSequences,
      replicas: {
        min: input.minReplicas,
        max: input.maxReplicas,
        ...(input.targetQueueDepth
          ? { targetQueueDepth: input.targetQueueDepth }
          : {}),
      },
    },
  };
  const result = validatePlatformEntity('InferenceDeployment', entity);
  if (!result.ok) {
    throw new InputError(formatValidationIssues(result.issues));
  }
  return result.entity;
}
