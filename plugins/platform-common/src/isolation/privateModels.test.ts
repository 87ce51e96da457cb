import { hostedTenants } from './hostedTenants';
import { IsolationCatalog, privateModelRefusal } from './privateModels';

const cell = (name: string, tier: any, tenants: string[] = []) => ({
  metadata: { name },
  spec: { tier, tenants },
});
const tenant = (name: string, cellRef?: string) => ({
  metadata: { name },
  spec: cellRef ? { cell: cellRef } : {},
});
const profile = (name: string, sharing?: any) => ({
  metadata: { name },
  spec: sharing ? { sharing } : {},
});

const catalog: IsolationCatalog = {
  cells: [
    cell('eu-shared', 'shared', ['northwind']),
    cell('meridian-dedicated', 'dedicated', ['meridian']),
    cell('helios-vpc', 'customer-vpc', ['tenant:default/helios']),
  ],
  tenants: [
    tenant('northwind'),
    tenant('meridian'),
    tenant('helios'),
    tenant('newcomer', 'cell:default/eu-shared'),
    // Hand-written: names a dedicated cell to make itself its guest.
    tenant('intruder', 'meridian-dedicated'),
  ],
  inferenceDeployments: [
    {
      metadata: { name: 'llama-meridian' },
      spec: {
        cell: 'cell:default/meridian-dedicated',
        modelProfile: 'llama-meridian',
      },
    },
    {
      metadata: { name: 'qwen-helios' },
      spec: { cell: 'helios-vpc', modelProfile: 'modelprofile:qwen-helios' },
    },
    {
      metadata: { name: 'mistral-shared' },
      spec: { cell: 'eu-shared', modelProfile: 'mistral-shared' },
    },
    {
      metadata: { name: 'orphan' },
      spec: { cell: 'gone-cell', modelProfile: 'orphaned-model' },
    },
  ],
};

describe('hostedTenants', () => {
  it('counts tenants naming a shared cell, and only the listed tenants of a private one', () => {
    expect(hostedTenants(catalog.cells[0], catalog.tenants)).toEqual([
      'newcomer',
      'northwind',
    ]);
    expect(hostedTenants(catalog.cells[1], catalog.tenants)).toEqual([
      'meridian',
    ]);
    expect(hostedTenants(catalog.cells[2], catalog.tenants)).toEqual([
      'helios',
    ]);
  });
});

describe('privateModelRefusal', () => {
  it('lets the tenants of a dedicated or customer-VPC cell use its models', () => {
    expect(
      privateModelRefusal('meridian', profile('llama-meridian'), catalog),
    ).toBeUndefined();
    expect(
      privateModelRefusal(
        'tenant:default/helios',
        profile('qwen-helios'),
        catalog,
      ),
    ).toBeUndefined();
  });

  it('refuses every other tenant, naming the model and the cell that owns it', () => {
    for (const other of ['northwind', 'newcomer', 'helios', 'intruder']) {
      expect(
        privateModelRefusal(other, profile('llama-meridian'), catalog),
      ).toBe(
        `llama-meridian is private capacity of the dedicated cell "meridian-dedicated" (tenants: meridian); tenant "${other}" is not hosted there and the profile is not shared with it`,
      );
    }
    expect(
      privateModelRefusal('meridian', profile('qwen-helios'), catalog),
    ).toContain('customer-vpc cell "helios-vpc"');
  });

  it('leaves hosted APIs and capacity in shared cells to residency and classification', () => {
    expect(
      privateModelRefusal('meridian', profile('gpt-4o'), catalog),
    ).toBeUndefined();
    expect(
      privateModelRefusal('meridian', profile('mistral-shared'), catalog),
    ).toBeUndefined();
  });

  it('reads names as the catalog does, whatever their letter case: a hand-edited ref in other case neither frees private capacity nor hosts a tenant twice', () => {
    const cased: IsolationCatalog = {
      ...catalog,
      cells: [
        ...catalog.cells,
        cell('vega-dedicated', 'dedicated', ['tenant:default/Vega']),
      ],
      tenants: [
        ...catalog.tenants,
        tenant('vega'),
        tenant('late', 'cell:default/EU-Shared'),
      ],
      inferenceDeployments: [
        ...catalog.inferenceDeployments,
        {
          metadata: { name: 'vega-llama' },
          spec: { cell: 'Vega-Dedicated', modelProfile: 'Vega-Llama' },
        },
      ],
    };
    expect(
      privateModelRefusal('northwind', profile('vega-llama'), cased),
    ).toContain('private capacity of the dedicated cell "Vega-Dedicated"');
    expect(
      privateModelRefusal('VEGA', profile('vega-llama'), cased),
    ).toBeUndefined();
    expect(hostedTenants(cased.cells[0], cased.tenants)).toEqual([
      'late',
      'newcomer',
      'northwind',
    ]);
    expect(hostedTenants(cased.cells[3], cased.tenants)).toEqual(['vega']);
  });

  it('fails closed when the deployment names a cell the catalog does not have', () => {
    expect(
      privateModelRefusal('northwind', profile('orphaned-model'), catalog),
    ).toContain('the cell "gone-cell", which is not in the catalog');
  });

  it('honours a profile that opts into sharing, with some tenants or with all', () => {
    const some = profile('llama-meridian', {
      tenants: ['tenant:default/northwind'],
    });
    expect(privateModelRefusal('northwind', some, catalog)).toBeUndefined();
    expect(privateModelRefusal('newcomer', some, catalog)).toBeDefined();
    const all = profile('llama-meridian', { allTenants: true });
    expect(privateModelRefusal('newcomer', all, catalog)).toBeUndefined();
  });

  it('follows a deployment that moves: the tenant of its old cell loses the model', () => {
    const moved: IsolationCatalog = {
      ...catalog,
      inferenceDeployments: [
        {
          metadata: { name: 'llama-meridian' },
          spec: { cell: 'helios-vpc', modelProfile: 'llama-meridian' },
        },
      ],
    };
    expect(
      privateModelRefusal('meridian', profile('llama-meridian'), moved),
    ).toBeDefined();
    expect(
      privateModelRefusal('helios', profile('llama-meridian'), moved),
    ).toBeUndefined();
  });
});
