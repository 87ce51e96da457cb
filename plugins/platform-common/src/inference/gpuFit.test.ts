import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkGpuFit } from './gpuFit';

const llama70b = {
  model: {
    name: 'meta-llama/Llama-3.1-70B-Instruct',
    parametersBillions: 70.6,
    precision: 'bf16' as const,
  },
  gpu: { type: 'H100-80GB' as const, count: 4 },
  maxContextLength: 16384,
  maxConcurrentSequences: 20,
};

describe('checkGpuFit', () => {
  it('sizes weights and KV cache from the model shape', () => {
    const fit = checkGpuFit(llama70b);
    // 70.6e9 parameters × 2 bytes
    expect(fit.weightsGiB).toBeCloseTo(131.5, 1);
    // 2 × 80 layers × 8 KV heads × 128 dims × 2 bytes = 320 KiB per token, × 16384 × 20
    expect(fit.kvCacheGiB).toBeCloseTo(100, 1);
    expect(fit.perGpuGiB).toBeCloseTo((131.5 + 100) / 4 + 2.5, 1);
    expect(fit.usableGiB).toBeCloseTo(72, 5);
    expect(fit.verdict).toBe('fits');
    expect(fit.exactKvCache).toBe(true);
  });

  it('refuses what cannot fit and says by how much', () => {
    const fit = checkGpuFit({
      ...llama70b,
      maxContextLength: 32768,
      maxConcurrentSequences: 64,
    });
    expect(fit.verdict).toBe('does-not-fit');
    expect(fit.message).toMatch(
      /^Does not fit: needs 195\.4 GiB per GPU .*, 123\.4 GiB more than the 72\.0 GiB usable on an NVIDIA H100 80 GB\./,
    );
  });

  it('suggests more GPUs only while a replica can have more', () => {
    const tooBig = { maxContextLength: 131072, maxConcurrentSequences: 64 };
    expect(checkGpuFit({ ...llama70b, ...tooBig }).message).toMatch(
      /, add GPUs, or use a lower precision\.$/,
    );
    const atEight = checkGpuFit({
      ...llama70b,
      ...tooBig,
      gpu: { type: 'H100-80GB' as const, count: 8 },
    });
    expect(atEight.verdict).toBe('does-not-fit');
    expect(atEight.message).not.toMatch(/add GPUs/);
    expect(atEight.message).toMatch(/8 is the most a replica may have/);
  });

  it('warns when headroom is thin', () => {
    const fit = checkGpuFit({ ...llama70b, maxConcurrentSequences: 24 });
    expect(fit.verdict).toBe('thin');
    expect(fit.message).toMatch(/^Fits with thin headroom/);
  });

  it('halves the weights at fp8 and quarters them at int4', () => {
    const bf16 = checkGpuFit(llama70b).weightsGiB;
    expect(
      checkGpuFit({
        ...llama70b,
        model: { ...llama70b.model, precision: 'fp8' },
      }).weightsGiB,
    ).toBeCloseTo(bf16 / 2, 5);
    expect(
      checkGpuFit({
        ...llama70b,
        model: { ...llama70b.model, precision: 'int4' },
      }).weightsGiB,
    ).toBeCloseTo(bf16 / 4, 5);
  });

  it('estimates the KV cache of an unknown model conservatively and says so', () => {
    const fit = checkGpuFit({
      ...llama70b,
      model: {
        name: 'acme/private-70b',
        parametersBillions: 70,
        precision: 'bf16',
      },
    });
    expect(fit.exactKvCache).toBe(false);
    expect(fit.kvCacheGiB).toBeGreaterThan(checkGpuFit(llama70b).kvCacheGiB);
    expect(fit.message).toContain('acme/private-70b is not a known model');
  });
});

describe('the demo inference deployments', () => {
  const file = path.resolve(
    __dirname,
    '../../../../examples/inference-deployments.yaml',
  );
  const deployments = parseAllDocuments(fs.readFileSync(file, 'utf8')).map(
    (d: any) => d.toJS(),
  );

  it.each(deployments.map((d: any) => [d.metadata.name, d]))(
    '%s fits its GPUs with room to spare',
    (_name, deployment: any) => {
      expect(checkGpuFit(deployment.spec).verdict).toBe('fits');
    },
  );
});
