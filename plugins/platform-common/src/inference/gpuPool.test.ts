import { checkCellGpuPool, gpusAtMaxReplicas } from './gpuPool';

const deployment = (
  name: string,
  cell: string,
  count: number,
  max: number,
) => ({
  metadata: { name },
  spec: { cell, gpu: { count }, replicas: { max } },
});
const meridian = {
  metadata: { name: 'meridian-dedicated' },
  spec: { capacity: { gpus: 16 } },
};
const running = [
  deployment('llama-70b', 'meridian-dedicated', 4, 2),
  // Another cell's deployment, by full reference: not counted.
  deployment('qwen-32b', 'cell:default/helios-vpc', 2, 2),
];

describe('checkCellGpuPool', () => {
  it('counts every deployment of the cell at its max replicas, and says what is left', () => {
    const check = checkCellGpuPool({
      cell: meridian,
      deployments: running,
      planned: deployment('mixtral', 'meridian-dedicated', 2, 4),
    });
    expect(check).toMatchObject({ ok: true, usedGpus: 8, neededGpus: 8 });
    expect(check.message).toBe(
      'cell meridian-dedicated has 16 GPUs; its deployments use up to 8 at max replicas and this one needs 8 more (2 GPUs × 4 replicas), leaving 0.',
    );
  });

  it('counts a deployment whose cell is named in other letter case, as the catalog reads it', () => {
    const check = checkCellGpuPool({
      cell: meridian,
      deployments: [
        deployment('llama-70b', 'cell:default/Meridian-Dedicated', 8, 2),
      ],
      planned: deployment('mixtral', 'meridian-dedicated', 2, 1),
    });
    expect(check).toMatchObject({ ok: false, usedGpus: 16 });
  });

  it('refuses what the pool cannot hold, naming the numbers', () => {
    const check = checkCellGpuPool({
      cell: meridian,
      deployments: [
        ...running,
        deployment('short-ref', 'cell:meridian-dedicated', 0, 3),
      ],
      planned: deployment('big', 'meridian-dedicated', 4, 4),
    });
    expect(check.ok).toBe(false);
    expect(check.message).toBe(
      'cell meridian-dedicated has 16 GPUs; its deployments use up to 8 at max replicas and this one needs 16 more (4 GPUs × 4 replicas): 8 GPUs short. Lower the max replicas or the GPUs per replica, or pick another cell.',
    );
  });

  it('refuses any GPU deployment in a cell without a pool', () => {
    for (const capacity of [{}, { gpus: 0 }]) {
      const check = checkCellGpuPool({
        cell: { metadata: { name: 'eu-west-shared-2' }, spec: { capacity } },
        deployments: [],
        planned: deployment('tiny', 'eu-west-shared-2', 1, 1),
      });
      expect(check.ok).toBe(false);
      expect(check.message).toBe(
        'cell eu-west-shared-2 has no GPU pool (spec.capacity.gpus is 0), and this deployment needs 1 GPU (1 GPU × 1 replica): pick a cell with GPUs.',
      );
    }
  });

  it("does not count a retried run's own deployment twice", () => {
    const check = checkCellGpuPool({
      cell: meridian,
      deployments: running,
      planned: deployment('llama-70b', 'meridian-dedicated', 4, 4),
    });
    expect(check).toMatchObject({ ok: true, usedGpus: 0, neededGpus: 16 });
  });

  it('reads a hand-edited entity without trusting its numbers', () => {
    const hostile = {
      metadata: { name: 'hostile' },
      spec: {
        cell: 'meridian-dedicated',
        gpu: { count: '1e308' },
        replicas: { max: 'NaN' },
      },
    } as any;
    expect(gpusAtMaxReplicas(hostile.spec)).toBe(0);
    const check = checkCellGpuPool({
      cell: {
        metadata: { name: 'meridian-dedicated' },
        spec: { capacity: { gpus: Infinity } },
      },
      deployments: [hostile],
      planned: deployment('tiny', 'meridian-dedicated', 1, 1),
    });
    expect(check.ok).toBe(false);
    expect(check.poolGpus).toBe(0);
  });
});

describe('checkCellGpuPool on a planned deployment it cannot count', () => {
  it.each([
    [1e308, 4],
    [Number.NaN, 1],
    [2, Infinity],
  ])('refuses gpu.count %s × replicas.max %s', (count, max) => {
    const check = checkCellGpuPool({
      cell: meridian,
      deployments: [],
      planned: deployment('hostile', 'meridian-dedicated', count, max),
    });
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(
      /^gpu\.count \(.*\) × replicas\.max \(.*\) is not a number of GPUs: each must be a whole number greater than 0\.$/,
    );
  });
});
