import { hostedTenants, joinRefusals } from './hostedTenants';
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

describe('who a shared cell hosts, and who may join it', () => {
  it('turns away a tenant naming it once it is full, and never one already in place', () => {
    const inPlace = [tenant('a'), joiner('c')];
    const cell = usShared(['a'], 2);
    expect(hostedTenants(cell, inPlace)).toEqual(['a', 'c']);
    // "b" is written in by hand later: the cell is full for it...
    const b = joiner('b');
    expect(joinRefusals(cell, b, inPlace)).toEqual([
      'cell "us-shared-1" is full (2 of 2 tenants)',
    ]);
    // ...and "c", in place, keeps its place: refused, "b" never entered the catalog. (Before,
    // places went by name: "b" would have taken c's, and a deploy pruned c's namespace.)
    expect(joinRefusals(cell, inPlace[1], inPlace)).toEqual([]);
    expect(hostedTenants(cell, inPlace)).toEqual(['a', 'c']);
    // A cell edited smaller keeps the tenants it has, and their edits still apply.
    const smaller = usShared(['a'], 1);
    expect(hostedTenants(smaller, inPlace)).toEqual(['a', 'c']);
    expect(
      joinRefusals(
        smaller,
        { ...inPlace[1], spec: { ...inPlace[1].spec } },
        inPlace,
      ),
    ).toEqual([]);
  });

  it('hosts no tenant pinned elsewhere, and tells one joining from another region why not', () => {
    const pinnedEu = joiner('c', {
      homeRegion: undefined,
      residency: { pinned: true, regions: ['eu-west-1'] },
    });
    const euHome = joiner('b', { homeRegion: 'eu-west-1' });
    const tenants = [pinnedEu, euHome, joiner('d')];
    // Before, every tenant naming the cell was hosted: the pinned one's data went to
    // us-east-1. One only at home elsewhere stays where it is; it is told when it joins.
    expect(hostedTenants(usShared([], 5), tenants)).toEqual(['b', 'd']);
    expect(joinRefusals(usShared([], 5), euHome, tenants)).toEqual([
      `cell "us-shared-1" is in us-east-1, not in the tenant's region eu-west-1`,
    ]);
    expect(joinRefusals(usShared([], 5), pinnedEu, tenants)).toEqual([
      'cell "us-shared-1" is in us-east-1, outside the pinned residency eu-west-1',
    ]);
  });

  it('always hosts the tenants it lists itself, even past its capacity or region', () => {
    const listed = [
      tenant('a', { homeRegion: 'eu-west-1' }),
      joiner('b', { residency: { pinned: true, regions: ['eu-west-1'] } }),
    ];
    const cell = usShared(['a', 'tenant:default/B'], 1);
    expect(hostedTenants(cell, listed)).toEqual(['a', 'b']);
    expect(joinRefusals(cell, listed[1], listed)).toEqual([]);
  });

  it('has no cap and no region refusal where a minimal object leaves them out', () => {
    const minimal = {
      metadata: { name: 'us-shared-1' },
      spec: { tier: 'shared' as const },
    };
    const tenants = [joiner('a', { homeRegion: 'eu-west-1' }), joiner('b')];
    expect(hostedTenants(minimal, tenants)).toEqual(['a', 'b']);
    expect(joinRefusals(minimal, tenants[0], tenants)).toEqual([]);
  });

  it('hosts only its own list when private: those naming it are neither hosted nor told', () => {
    const dedicated = {
      ...usShared(['a']),
      spec: { ...usShared(['a']).spec, tier: 'dedicated' as const },
    };
    const b = joiner('b');
    expect(hostedTenants(dedicated, [tenant('a'), b])).toEqual(['a']);
    expect(joinRefusals(dedicated, b, [tenant('a'), b])).toEqual([]);
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
