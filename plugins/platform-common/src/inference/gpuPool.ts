import { sameEntityName } from '../isolation/entityRefName';

/** An InferenceDeployment as the pool rule reads it: raw catalog entities and parsed ones fit. */
export interface DeploymentForGpuPool {
  metadata: { name: string };
  spec: { cell: string; gpu: { count: number }; replicas: { max: number } };
}

/** A Cell as the pool rule reads it. */
export interface CellForGpuPool {
  metadata: { name: string };
  spec: { capacity: { gpus?: number } };
}

export interface GpuPoolCheck {
  ok: boolean;
  /** The cell's GPU pool (`spec.capacity.gpus`). */
  poolGpus: number;
  /** GPUs the cell's other deployments use at their max replicas. */
  usedGpus: number;
  /** GPUs the planned deployment needs at its max replicas. */
  neededGpus: number;
  message: string;
}

/**
 * GPUs a deployment holds when scaled out: every replica takes `gpu.count` whole GPUs. A
 * hand-edited entity with a count that is not a finite, non-negative number counts as 0
 * here: the catalog processor refuses it on its own.
 */
export function gpusAtMaxReplicas(spec: DeploymentForGpuPool['spec']): number {
  const gpus = Number(spec.gpu?.count) * Number(spec.replicas?.max);
  return Number.isFinite(gpus) && gpus > 0 ? gpus : 0;
}

const plural = (n: number, word: string) =>
  `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * Whether a cell's GPU pool can hold a planned deployment at its max replicas next to every
 * deployment already in the cell, each also at its max replicas: the autoscaler may take them
 * all there at once, so the pool must hold the sum. A cell without a pool (0 GPUs) hosts no
 * GPU deployment. The planned deployment's own entry in `deployments` (a retried run's, by
 * name) is not counted twice.
 */
export function checkCellGpuPool(options: {
  cell: CellForGpuPool;
  deployments: DeploymentForGpuPool[];
  planned: DeploymentForGpuPool;
}): GpuPoolCheck {
  const { cell, planned } = options;
  const rawPool = Number(cell.spec?.capacity?.gpus ?? 0);
  const poolGpus = Number.isFinite(rawPool) && rawPool > 0 ? rawPool : 0;
  const usedGpus = options.deployments
    .filter(
      d =>
        d.metadata.name !== planned.metadata.name &&
        typeof d.spec?.cell === 'string' &&
        sameEntityName(d.spec.cell, cell.metadata.name),
    )
    .reduce((sum, d) => sum + gpusAtMaxReplicas(d.spec), 0);
  // The planned deployment's numbers are not trusted to be sane either: what cannot be
  // counted is refused, not counted as 0.
  const neededGpus = planned.spec.gpu.count * planned.spec.replicas.max;
  if (!Number.isSafeInteger(neededGpus) || neededGpus <= 0) {
    return {
      ok: false,
      poolGpus,
      usedGpus,
      neededGpus: NaN,
      message: `gpu.count (${planned.spec.gpu.count}) × replicas.max (${planned.spec.replicas.max}) is not a number of GPUs: each must be a whole number greater than 0.`,
    };
  }
  const shape = `${plural(planned.spec.gpu.count, 'GPU')} × ${plural(
    planned.spec.replicas.max,
    'replica',
  )}`;
  const name = `cell ${cell.metadata.name}`;

  if (poolGpus === 0) {
    return {
      ok: false,
      poolGpus,
      usedGpus,
      neededGpus,
      message: `${name} has no GPU pool (spec.capacity.gpus is 0), and this deployment needs ${plural(
        neededGpus,
        'GPU',
      )} (${shape}): pick a cell with GPUs.`,
    };
  }
  const status = `${name} has ${plural(
    poolGpus,
    'GPU',
  )}; its deployments use up to ${usedGpus.toLocaleString(
    'en-US',
  )} at max replicas and this one needs ${neededGpus.toLocaleString(
    'en-US',
  )} more (${shape})`;
  const left = poolGpus - usedGpus - neededGpus;
  if (left < 0) {
    return {
      ok: false,
      poolGpus,
      usedGpus,
      neededGpus,
      message: `${status}: ${plural(
        -left,
        'GPU',
      )} short. Lower the max replicas or the GPUs per replica, or pick another cell.`,
    };
  }
  return {
    ok: true,
    poolGpus,
    usedGpus,
    neededGpus,
    message: `${status}, leaving ${left.toLocaleString('en-US')}.`,
  };
}
