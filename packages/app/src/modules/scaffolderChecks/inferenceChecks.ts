import { Entity } from '@backstage/catalog-model';
import {
  CellForGpuPool,
  checkCellGpuPool,
  checkContextLength,
  checkGpuFit,
  DeploymentForGpuPool,
  entityRefName,
  findKnownModel,
  GPU_TYPES,
  GpuType,
  Precision,
  PRECISION_BYTES,
} from '@cellport/plugin-platform-common';

/** What the inference-deployment form has asked so far (any of it may still be missing). */
export interface InferenceAnswers {
  name?: string;
  cell?: string;
  model?: string;
  precision?: string;
  gpuType?: string;
  gpuCount?: number;
  maxContextLength?: number;
  maxConcurrentSequences?: number;
  maxReplicas?: number;
}

/** Which of the plan step's checks a form field runs. */
export type InferenceCheckKind = 'gpuFit' | 'contextLength' | 'gpuPool';

/** A check's verdict as the form shows it: a refusal stops the form at that field. */
export interface FormCheck {
  refused: boolean;
  message: string;
}

const isCount = (n: unknown): n is number =>
  typeof n === 'number' && Number.isInteger(n) && n > 0;

/**
 * The plan step's checks, run on the form's answers with the same platform rules: the GPU
 * fit, the model's context length, and the cell's GPU pool (which needs the catalog's Cells
 * and InferenceDeployments). Undefined while the answers it needs are incomplete.
 */
export function inferenceCheck(
  kind: InferenceCheckKind,
  answers: InferenceAnswers,
  entities: Entity[] = [],
): FormCheck | undefined {
  if (kind === 'contextLength') {
    if (!answers.model || !isCount(answers.maxContextLength)) return undefined;
    const check = checkContextLength({
      model: answers.model,
      maxContextLength: answers.maxContextLength,
    });
    return { refused: check.verdict === 'too-long', message: check.message };
  }
  if (kind === 'gpuFit') {
    const known = answers.model ? findKnownModel(answers.model) : undefined;
    const { gpuType, precision } = answers;
    if (
      !known ||
      !gpuType ||
      !Object.hasOwn(GPU_TYPES, gpuType) ||
      !precision ||
      !Object.hasOwn(PRECISION_BYTES, precision) ||
      !isCount(answers.gpuCount) ||
      !isCount(answers.maxContextLength) ||
      !isCount(answers.maxConcurrentSequences)
    ) {
      return undefined;
    }
    const fit = checkGpuFit({
      model: {
        name: known.name,
        parametersBillions: known.parametersBillions,
        precision: precision as Precision,
      },
      gpu: { type: gpuType as GpuType, count: answers.gpuCount },
      maxContextLength: answers.maxContextLength,
      maxConcurrentSequences: answers.maxConcurrentSequences,
    });
    return { refused: fit.verdict === 'does-not-fit', message: fit.message };
  }
  if (
    !answers.cell ||
    !isCount(answers.gpuCount) ||
    !isCount(answers.maxReplicas)
  ) {
    return undefined;
  }
  const cellName = entityRefName(answers.cell);
  const cell = entities.find(
    e => e.kind === 'Cell' && e.metadata.name === cellName,
  );
  if (!cell) {
    return { refused: true, message: `cell ${cellName} is not in the catalog` };
  }
  const pool = checkCellGpuPool({
    cell: cell as unknown as CellForGpuPool,
    deployments: entities.filter(
      e => e.kind === 'InferenceDeployment',
    ) as unknown as DeploymentForGpuPool[],
    planned: {
      metadata: { name: answers.name ?? '' },
      spec: {
        cell: cellName,
        gpu: { count: answers.gpuCount },
        replicas: { max: answers.maxReplicas },
      },
    },
  });
  return { refused: !pool.ok, message: pool.message };
}

/** The catalog query the GPU pool check needs. */
export const GPU_POOL_FILTER = [
  { kind: 'Cell' },
  { kind: 'InferenceDeployment' },
];
