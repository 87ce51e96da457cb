import { createMockDirectory } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { validatePlatformEntity } from '@cellport/plugin-platform-common';
import { validateManifests } from '@cellport/plugin-platform-node';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createPlanInferenceDeploymentAction } from './planInferenceDeployment';
import { createRenderInferenceDeploymentAction } from './renderInferenceDeployment';

const catalog = catalogServiceMock({
  entities: [
    {
      apiVersion: 'cellport.dev/v1alpha1',
      kind: 'Cell',
      metadata: { name: 'meridian-dedicated', namespace: 'default' },
      spec: { region: 'us-east-1' },
    },
    {
      apiVersion: 'cellport.dev/v1alpha1',
      kind: 'ModelProfile',
      metadata: { name: 'gpt-4o-mini', namespace: 'default' },
      spec: {},
    },
  ],
});

const planInput = {
  name: 'llama-3-1-70b-risk',
  owner: 'group:default/meridian-risk-ai',
  cell: 'meridian-dedicated',
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
    expect(out.cellRegion).toBe('us-east-1');
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
      region: 'us-east-1',
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
            cellRegion: 'us-east-1',
          },
        }) as any,
      ),
    ).rejects.toThrow(/^entity: apiVersion: /);
  });
});
