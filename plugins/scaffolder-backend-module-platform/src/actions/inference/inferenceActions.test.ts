import { createMockDirectory } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { validatePlatformEntity } from '@cellport/plugin-platform-common';
import { validateManifests } from '@cellport/plugin-platform-node';
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { createPlanInferenceDeploymentAction } from './planInferenceDeployment';
import { examples } from './planInferenceDeployment.examples';
import { createRenderInferenceDeploymentAction } from './renderInferenceDeployment';

// The demo catalog: meridian-dedicated's 8 GPUs are taken by its Llama 70B at max replicas,
// eu-west-shared-1 has a free pool of 8, us-east-shared-1 has none.
const catalog = catalogServiceMock({ entities: demoCatalog() });

const planInput = {
  name: 'llama-3-1-70b-risk',
  owner: 'group:default/northwind-data',
  cell: 'eu-west-shared-1',
  model: 'meta-llama/Llama-3.1-70B-Instruct',
  precision: 'bf16',
  gpuType: 'H100-80GB',
  gpuCount: 4,
  tensorParallelism: 4,
  maxContextLength: 16384,
  maxConcurrentSequences: 16,
  minReplicas: 1,
  maxReplicas: 2,
};

/** What an action passed to ctx.output, by key. */
function outputsOf(ctx: { output: unknown }): Record<string, any> {
  return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
}

async function plan(input: Record<string, unknown>) {
  const ctx = createMockActionContext({
    input: { ...planInput, ...input } as any,
  });
  await createPlanInferenceDeploymentAction({ catalog }).handler(ctx as any);
  return outputsOf(ctx);
}

describe('cellport:inference:plan', () => {
  it('accepts a deployment that fits and returns the validated entity', async () => {
    const out = await plan({});
    expect(out.fit).toBe('fits');
    expect(out.cellRegion).toBe('eu-west-1');
    expect(out.entity.spec.model.parametersBillions).toBe(70.6);
    expect(out.message).toMatch(/^Fits: needs 5\d\.\d GiB per GPU/);
  });

  it('refuses a deployment that cannot fit, saying by how much', async () => {
    await expect(
      plan({ maxContextLength: 131072, maxConcurrentSequences: 64 }),
    ).rejects.toThrow(
      /^Does not fit: needs .* GiB per GPU .*, \d+\.\d GiB more than the 72\.0 GiB usable/,
    );
  });

  it('plans its documented example against the demo catalog', async () => {
    const [step] = parse(examples[0].example).steps;
    expect((await plan(step.input)).fit).toBe('fits');
  });

  it('warns, and goes on, when headroom is thin', async () => {
    const out = await plan({ maxConcurrentSequences: 24 });
    expect(out.fit).toBe('thin');
  });

  it('names the field of an impossible spec', async () => {
    await expect(plan({ tensorParallelism: 3 })).rejects.toThrow(
      'spec.tensorParallelism: must divide gpu.count (4)',
    );
    await expect(plan({ gpuType: 'RTX-4090' })).rejects.toThrow(
      /^spec\.gpu\.type: expected one of H100-80GB/,
    );
    await expect(plan({ name: 'Llama_70B' })).rejects.toThrow(
      /^metadata\.name: must be a DNS-1123 label/,
    );
  });

  it("refuses what the cell's GPU pool cannot hold next to its deployments, naming the numbers", async () => {
    await expect(plan({ cell: 'meridian-dedicated' })).rejects.toThrow(
      'cell meridian-dedicated has 8 GPUs; its deployments use up to 8 at max replicas and this one needs 8 more (4 GPUs × 2 replicas): 8 GPUs short. Lower the max replicas or the GPUs per replica, or pick another cell.',
    );
    await expect(plan({ maxReplicas: 3 })).rejects.toThrow(
      'cell eu-west-shared-1 has 8 GPUs; its deployments use up to 0 at max replicas and this one needs 12 more (4 GPUs × 3 replicas): 4 GPUs short.',
    );
  });

  it('refuses any GPU deployment in a cell without a GPU pool', async () => {
    await expect(
      plan({ cell: 'cell:default/us-east-shared-1' }),
    ).rejects.toThrow(
      'cell us-east-shared-1 has no GPU pool (spec.capacity.gpus is 0), and this deployment needs 8 GPUs (4 GPUs × 2 replicas): pick a cell with GPUs.',
    );
  });

  it("refuses a max context longer than the model's, and says when it cannot check", async () => {
    await expect(
      plan({
        model: 'Qwen/Qwen2.5-7B-Instruct',
        gpuCount: 1,
        tensorParallelism: 1,
        maxContextLength: 65536,
      }),
    ).rejects.toThrow(
      'maxContextLength: 65,536 tokens is more than Qwen2.5 7B Instruct supports (32,768 tokens): lower it to 32,768 or less.',
    );
    const unknown = {
      model: 'acme/private-7b',
      parametersBillions: 7,
      gpuCount: 1,
      tensorParallelism: 1,
      maxContextLength: 32768,
    };
    await expect(
      plan({ ...unknown, modelMaxContextLength: 8192 }),
    ).rejects.toThrow(
      'maxContextLength: 32,768 tokens is more than acme/private-7b supports (8,192 tokens)',
    );
    const ctx = createMockActionContext({
      input: { ...planInput, ...unknown } as any,
    });
    const warn = jest.spyOn(ctx.logger, 'warn');
    await createPlanInferenceDeploymentAction({ catalog }).handler(ctx as any);
    expect(warn).toHaveBeenCalledWith(
      'The max context of 32,768 tokens is not checked: acme/private-7b is not a known model and its maximum context length was not given.',
    );
  });

  it('refuses absurd numbers with their bound, not a 309-digit replica count', async () => {
    await expect(plan({ maxReplicas: 1e308 })).rejects.toThrow(
      /^spec\.replicas\.max: must be at most 1,000$/,
    );
    await expect(plan({ maxContextLength: 1e308 })).rejects.toThrow(
      /^spec\.maxContextLength: must be at most 10,000,000$/,
    );
  });

  it('writes the cell as the catalog spells it, and refuses a cell that is no Cell', async () => {
    // The catalog finds names whatever their case; the pool check that adds up a cell's
    // deployments must see the same name.
    const out = await plan({ cell: 'cell:default/EU-West-Shared-1' });
    expect(out.entity.spec.cell).toBe('eu-west-shared-1');
    await expect(
      plan({ cell: 'tenant:default/meridian-bank' }),
    ).rejects.toThrow('cell: tenant:default/meridian-bank is not a Cell');
  });

  it('refuses an unknown cell, a taken name and an unknown model without its size', async () => {
    await expect(plan({ cell: 'atlantis' })).rejects.toThrow(
      'cell: cell:default/atlantis does not exist in the catalog',
    );
    await expect(plan({ name: 'gpt-4o-mini' })).rejects.toThrow(
      'name: "gpt-4o-mini" is already used by a ModelProfile in the catalog',
    );
    await expect(plan({ model: 'acme/secret-model' })).rejects.toThrow(
      'parametersBillions: acme/secret-model is not a known model',
    );
  });
});

describe('cellport:inference:render', () => {
  it('writes valid entities and manifests into the workspace, the same on a retry', async () => {
    const { entity, cellRegion } = await plan({});
    const workspace = createMockDirectory();
    const action = createRenderInferenceDeploymentAction();
    let outputs: Record<string, any> = {};
    for (let attempt = 0; attempt < 2; attempt++) {
      const ctx = createMockActionContext({
        input: { entity, cellRegion, maxClassification: 'RESTRICTED' },
        workspacePath: workspace.path,
      });
      await action.handler(ctx as any);
      outputs = outputsOf(ctx);
    }
    expect(outputs.files).toEqual([
      'catalog-info.yaml',
      'kubernetes/llama-3-1-70b-risk.yaml',
    ]);
    const entities = parseAllDocuments(
      fs.readFileSync(path.join(workspace.path, 'catalog-info.yaml'), 'utf8'),
    ).map(d => d.toJS());
    expect(entities.map(e => e.kind)).toEqual([
      'InferenceDeployment',
      'ModelProfile',
    ]);
    expect(validatePlatformEntity('InferenceDeployment', entities[0]).ok).toBe(
      true,
    );
    const profile = validatePlatformEntity('ModelProfile', entities[1]);
    expect(profile.ok && profile.entity.spec).toMatchObject({
      provider: 'vllm',
      region: 'eu-west-1',
      endpoint:
        'http://llama-3-1-70b-risk.cellport-inference.svc.cluster.local:8000/v1',
      maxClassification: 'RESTRICTED',
    });
    const manifests = parseAllDocuments(
      fs.readFileSync(
        path.join(workspace.path, 'kubernetes/llama-3-1-70b-risk.yaml'),
        'utf8',
      ),
    ).map(d => d.toJS());
    expect(validateManifests(manifests)).toEqual([]);
  });

  it('refuses an entity that is not a valid InferenceDeployment', async () => {
    await expect(
      createRenderInferenceDeploymentAction().handler(
        createMockActionContext({
          input: {
            entity: { kind: 'InferenceDeployment' },
            cellRegion: 'eu-west-1',
          },
        }) as any,
      ),
    ).rejects.toThrow(/^entity: apiVersion: /);
  });
});
