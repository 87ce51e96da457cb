import { cellTenancy, hostedTenants } from './hostedTenants';
import { isolationCatalogOf } from './privateModels';

const usShared = (tenants: string[], maxTenants = 1) => ({
  metadata: { name: 'us-shared-1' },
  spec: {
    tier: 'shared' as const,
    region: 'us-east-1',
    capacity: { maxTenants },
    tenants,
  },
});
const tenant = (name: string, spec: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: { homeRegion: 'us-east-1', ...spec },
});
const joiner = (name: string, spec: Record<string, unknown> = {}) =>
  tenant(name, { cell: 'cell:default/us-shared-1', ...spec });

describe('cellTenancy of a shared cell', () => {
  it('turns away a tenant naming it once it is full', () => {
    const tenants = [tenant('a'), joiner('b')];
    expect(hostedTenants(usShared(['a']), tenants)).toEqual(['a']);
    expect(cellTenancy(usShared(['a']), tenants)).toEqual({
      hosted: ['a'],
      refused: [
        {
          tenant: 'b',
          refusals: ['cell "us-shared-1" is full (1 of 1 tenants)'],
        },
      ],
    });
  });

  it('gives the last places by name, whatever order the catalog returns', () => {
    const cell = usShared(['a'], 3);
    const tenants = [joiner('d'), joiner('b'), tenant('a'), joiner('c')];
    expect(hostedTenants(cell, tenants)).toEqual(['a', 'b', 'c']);
    expect(hostedTenants(cell, [...tenants].reverse())).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(cellTenancy(cell, tenants).refused).toEqual([
      {
        tenant: 'd',
        refusals: ['cell "us-shared-1" is full (3 of 3 tenants)'],
      },
    ]);
  });

  it('turns away a tenant of another home region or pinned elsewhere, without using a place', () => {
    const pinnedEu = joiner('c', {
      homeRegion: undefined,
      residency: { pinned: true, regions: ['eu-west-1'] },
    });
    const euHome = joiner('b', { homeRegion: 'eu-west-1' });
    const tenants = [pinnedEu, euHome, joiner('d')];
    expect(hostedTenants(usShared([], 1), tenants)).toEqual(['d']);
    expect(cellTenancy(usShared([], 1), tenants)).toEqual({
      hosted: ['d'],
      refused: [
        {
          tenant: 'b',
          refusals: [
            `cell "us-shared-1" is in us-east-1, not in the tenant's region eu-west-1`,
          ],
        },
        {
          tenant: 'c',
          refusals: [
            'cell "us-shared-1" is in us-east-1, outside the pinned residency eu-west-1',
          ],
        },
      ],
    });
  });

  it('always hosts the tenants it lists itself, even past its capacity or region', () => {
    const listed = [
      tenant('a', { homeRegion: 'eu-west-1' }),
      joiner('b', { residency: { pinned: true, regions: ['eu-west-1'] } }),
    ];
    const cell = usShared(['a', 'tenant:default/B'], 1);
    expect(hostedTenants(cell, listed)).toEqual(['a', 'b']);
    expect(cellTenancy(cell, listed)).toEqual({
      hosted: ['a', 'b'],
      refused: [],
    });
  });

  it('has no cap and no region refusal where a minimal object leaves them out', () => {
    const minimal = {
      metadata: { name: 'us-shared-1' },
      spec: { tier: 'shared' as const },
    };
    const tenants = [joiner('a', { homeRegion: 'eu-west-1' }), joiner('b')];
    expect(hostedTenants(minimal, tenants)).toEqual(['a', 'b']);
    expect(cellTenancy(minimal, tenants)).toEqual({
      hosted: ['a', 'b'],
      refused: [],
    });
  });

  it('refuses nobody for a private cell: those naming it are simply not hosted', () => {
    const dedicated = {
      ...usShared(['a']),
      spec: { ...usShared(['a']).spec, tier: 'dedicated' as const },
    };
    expect(cellTenancy(dedicated, [tenant('a'), joiner('b')])).toEqual({
      hosted: ['a'],
      refused: [],
    });
  });
});

describe('isolationCatalogOf', () => {
  it('keeps what a shared cell needs to turn a tenant away, so the agent plan sees it too', () => {
    const raw = (kind: string, name: string, spec: object) => ({
      kind,
      metadata: { name },
      spec,
    });
    const catalog = isolationCatalogOf([
      raw('Cell', 'us-shared-1', usShared(['a']).spec),
      raw('Tenant', 'a', { homeRegion: 'us-east-1', cell: 'us-shared-1' }),
      raw('Tenant', 'b', {
        homeRegion: 'eu-west-1',
        cell: 'us-shared-1',
        residency: { pinned: true, regions: ['eu-west-1'] },
      }),
    ]);
    // Before, the catalog dropped region and capacity: b was hosted.
    expect(hostedTenants(catalog.cells[0], catalog.tenants)).toEqual(['a']);
  });
});
