import { Entity } from '@backstage/catalog-model';
import { createMockDirectory } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { validatePlatformEntity } from '@cellport/plugin-platform-common';
import { validateManifests } from '@cellport/plugin-platform-node';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { createPlanTenantOnboardingAction } from './planTenantOnboarding';
import { createRenderTenantOnboardingAction } from './renderTenantOnboarding';

const demoEntities: Entity[] = demoCatalog();

const fullCell: Entity = {
  ...demoEntities.find(e => e.metadata.name === 'us-east-shared-1')!,
  metadata: { name: 'us-east-tiny', namespace: 'default' },
};
(fullCell.spec as any) = {
  ...fullCell.spec,
  capacity: { maxTenants: 1, maxRequestsPerSecond: 10 },
};

const catalog = catalogServiceMock({ entities: [...demoEntities, fullCell] });

const shared = {
  name: 'contoso-travel',
  displayName: 'Contoso Travel',
  owner: 'group:default/northwind-data',
  tier: 'basic',
  isolation: 'shared',
  cell: 'cell:default/eu-west-shared-1',
  region: 'eu-west-1',
  residencyPinned: true,
  residencyRegions: ['eu-west-1', 'swedencentral'],
  dataClassification: 'INTERNAL',
  monthlyBudgetUsd: 1200,
  requestsPerMinute: 300,
  tokensPerMinute: 200000,
  modelAllowlist: ['azure-gpt-4o-mini-eu'],
};

const dedicated = {
  ...shared,
  name: 'acme-bank',
  displayName: 'Acme Bank',
  tier: 'enterprise',
  isolation: 'dedicated',
  cell: undefined,
  cloud: 'aws',
  region: 'us-east-1',
  cluster: 'eks-us-east-1-acme',
  residencyRegions: ['us-east-1', 'eastus'],
  dataClassification: 'CONFIDENTIAL',
  modelAllowlist: ['azure-gpt-4o-us'],
};

const outputsOf = (ctx: { output: unknown }): Record<string, any> =>
  Object.fromEntries((ctx.output as jest.Mock).mock.calls);

async function plan(input: Record<string, unknown>) {
  const ctx = createMockActionContext({ input: input as any });
  await createPlanTenantOnboardingAction({ catalog }).handler(ctx as any);
  return outputsOf(ctx);
}

async function render(planned: Record<string, any>) {
  const workspace = createMockDirectory();
  const ctx = createMockActionContext({
    input: {
      tenant: planned.tenant,
      cell: planned.cell,
      newCell: planned.newCell,
    },
    workspacePath: workspace.path,
  });
  await createRenderTenantOnboardingAction().handler(ctx as any);
  const read = (file: string) =>
    parseAllDocuments(
      fs.readFileSync(path.join(workspace.path, file), 'utf8'),
    ).map(d => d.toJS());
  return { files: outputsOf(ctx).files as string[], read };
}

describe('cellport:tenant:plan', () => {
  it('places a shared tenant in a shared cell of its region', async () => {
    const out = await plan(shared);
    expect(out.newCell).toBe(false);
    expect(out.cellRef).toBe('cell:default/eu-west-shared-1');
    expect(out.tenant.spec.cell).toBe('eu-west-shared-1');
  });

  it('gives a dedicated tenant a cell of its own', async () => {
    const out = await plan(dedicated);
    expect(out.newCell).toBe(true);
    expect(out.cell.metadata.name).toBe('acme-bank-dedicated');
    expect(out.cell.spec).toMatchObject({
      tier: 'dedicated',
      cluster: 'eks-us-east-1-acme',
      tenants: ['acme-bank'],
    });
  });

  it('refuses models outside the residency or classification, naming each', async () => {
    await expect(
      plan({
        ...shared,
        dataClassification: 'RESTRICTED',
        modelAllowlist: ['gpt-4o-mini', 'azure-gpt-4o-eu'],
      }),
    ).rejects.toThrow(
      'modelAllowlist[0]: gpt-4o-mini serves from us, outside the pinned residency eu-west-1, swedencentral; ' +
        'modelAllowlist[0]: gpt-4o-mini may receive up to INTERNAL data, the tenant sends RESTRICTED; ' +
        'modelAllowlist[1]: azure-gpt-4o-eu may receive up to CONFIDENTIAL data, the tenant sends RESTRICTED',
    );
  });

  it("refuses another tenant's private models, naming each and the cell that owns it", async () => {
    const usEast = {
      ...shared,
      cell: 'us-east-shared-1',
      region: 'us-east-1',
      residencyPinned: false,
    };
    await expect(
      plan({
        ...usEast,
        modelAllowlist: ['gpt-4o-mini', 'llama-3-1-70b-meridian'],
      }),
    ).rejects.toThrow(
      'modelAllowlist[1]: llama-3-1-70b-meridian is private capacity of the dedicated cell "meridian-dedicated" (tenants: meridian-bank); tenant "contoso-travel" is not hosted there and the profile is not shared with it',
    );
    // A tenant with a dedicated cell of its own does not get a neighbour's either.
    await expect(
      plan({
        ...dedicated,
        dataClassification: 'INTERNAL',
        residencyPinned: false,
        modelAllowlist: ['modelprofile:default/qwen2-5-32b-helios'],
      }),
    ).rejects.toThrow(
      'modelAllowlist[0]: qwen2-5-32b-helios is private capacity of the customer-vpc cell "helios-vpc" (tenants: helios-health)',
    );
  });

  it('refuses a taken name, a cell in another region, a full cell and an unknown model', async () => {
    await expect(plan({ ...shared, name: 'northwind-retail' })).rejects.toThrow(
      'name: a tenant "northwind-retail" already exists',
    );
    await expect(
      plan({
        ...shared,
        region: 'us-east-1',
        residencyRegions: ['us-east-1', 'swedencentral'],
      }),
    ).rejects.toThrow(
      "cell: eu-west-shared-1 is in eu-west-1, not in the tenant's region us-east-1",
    );
    await expect(
      plan({
        ...shared,
        cell: 'us-east-tiny',
        region: 'us-east-1',
        residencyPinned: false,
      }),
    ).rejects.toThrow('cell: us-east-tiny is full (1 of 1 tenants)');
    await expect(
      plan({ ...shared, modelAllowlist: ['gpt-9'] }),
    ).rejects.toThrow(
      'modelAllowlist[0]: no ModelProfile "gpt-9" in the catalog',
    );
  });

  it("refuses a dedicated cell on another cell's cluster", async () => {
    await expect(
      plan({ ...dedicated, cluster: 'eks-us-east-1-meridian' }),
    ).rejects.toThrow(
      'cluster: eks-us-east-1-meridian already runs cell meridian-dedicated; a dedicated or customer-VPC cell needs a cluster of its own',
    );
  });

  it('writes the cell as the catalog spells it, and refuses a cell that is no Cell', async () => {
    // The catalog finds names whatever their case; the rules that count a cell's tenants
    // must see the same name.
    const out = await plan({
      ...shared,
      cell: 'cell:default/EU-West-Shared-1',
    });
    expect(out.tenant.spec.cell).toBe('eu-west-shared-1');
    expect(out.cellRef).toBe('cell:default/eu-west-shared-1');
    await expect(
      plan({ ...shared, cell: 'tenant:default/northwind-retail' }),
    ).rejects.toThrow('cell: tenant:default/northwind-retail is not a Cell');
  });

  it('names the field of bad input before looking anything up', async () => {
    await expect(plan({ ...shared, monthlyBudgetUsd: 0 })).rejects.toThrow(
      'spec.monthlyBudgetUsd: must be greater than 0',
    );
    await expect(plan({ ...shared, name: '../../etc' })).rejects.toThrow(
      /^metadata\.name: must be a DNS-1123 label/,
    );
    await expect(plan({ ...shared, isolation: 'private' })).rejects.toThrow(
      'spec.isolation: expected one of dedicated | shared | customer-vpc',
    );
    await expect(plan({ ...dedicated, cluster: undefined })).rejects.toThrow(
      'cluster: a dedicated tenant gets a cell of its own, which needs a cluster',
    );
    // A name a tenant may have, but its cell's (`<name>-dedicated`) may not: the form's field.
    const long = 'a'.repeat(54);
    await expect(plan({ ...dedicated, name: long })).rejects.toThrow(
      `name: makes a cell name that must be at most 63 characters: ${long}-dedicated (64)`,
    );
  });
});

describe('cellport:tenant:render', () => {
  it('writes the tenant and its namespace in a shared cell', async () => {
    const { files, read } = await render(await plan(shared));
    expect(files).toEqual([
      'catalog-info.yaml',
      'kubernetes/eu-west-shared-1/contoso-travel.yaml',
    ]);
    const entities = read('catalog-info.yaml');
    expect(entities.map(e => e.kind)).toEqual(['Tenant']);
    expect(validatePlatformEntity('Tenant', entities[0]).ok).toBe(true);
    const manifests = read(files[1]);
    expect(validateManifests(manifests)).toEqual([]);
    expect(manifests.map(m => m.kind)).toEqual([
      'Namespace',
      'ResourceQuota',
      'LimitRange',
      'NetworkPolicy',
      'NetworkPolicy',
      'ServiceAccount',
    ]);
  });

  it('writes the tenant, its cell and the cell gateway for a dedicated tenant', async () => {
    const { files, read } = await render(await plan(dedicated));
    expect(read('catalog-info.yaml').map(e => e.kind)).toEqual([
      'Tenant',
      'Cell',
    ]);
    const kinds = read(files[1]).map(m => m.kind);
    expect(kinds).toContain('Deployment');
    expect(kinds).toContain('HorizontalPodAutoscaler');
    expect(kinds).toContain('PodDisruptionBudget');
  });

  it('keeps free text as data: a display name cannot inject YAML', async () => {
    const planned = await plan({
      ...shared,
      displayName: 'Evil\n---\nkind: Group\nmetadata: {name: x}',
    });
    const { read } = await render(planned);
    const entities = read('catalog-info.yaml');
    expect(entities).toHaveLength(1);
    expect(entities[0].spec.displayName).toBe(
      'Evil\n---\nkind: Group\nmetadata: {name: x}',
    );
  });
});
