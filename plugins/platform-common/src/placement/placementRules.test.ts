import { modelProfileRefusals, sharedCellRefusals } from './placementRules';

describe('sharedCellRefusals', () => {
  const cell = {
    name: 'eu-west-shared-1',
    spec: {
      tier: 'shared' as const,
      region: 'eu-west-1',
      capacity: { maxTenants: 2, maxRequestsPerSecond: 100 },
    },
    hostedTenants: 1,
  };

  it('takes a tenant of its region while it has room', () => {
    expect(sharedCellRefusals(cell, 'eu-west-1')).toEqual([]);
    expect(sharedCellRefusals(cell, undefined)).toEqual([]);
  });

  it('says why it cannot', () => {
    expect(
      sharedCellRefusals(
        {
          ...cell,
          spec: { ...cell.spec, tier: 'dedicated' },
          hostedTenants: 2,
        },
        'us-east-1',
      ),
    ).toEqual([
      'eu-west-shared-1 is a dedicated cell, not a shared one',
      "eu-west-shared-1 is in eu-west-1, not in the tenant's region us-east-1",
      'eu-west-shared-1 is full (2 of 2 tenants)',
    ]);
  });
});

describe('modelProfileRefusals', () => {
  const profile = {
    name: 'gpt-4o-mini',
    spec: { region: 'us', maxClassification: 'INTERNAL' as const },
  };

  it('allows a profile inside the boundaries', () => {
    expect(
      modelProfileRefusals(profile, {
        residency: { pinned: false },
        dataClassification: 'INTERNAL',
      }),
    ).toEqual([]);
  });

  it('refuses a profile outside the pinned residency or below the classification', () => {
    expect(
      modelProfileRefusals(profile, {
        residency: { pinned: true, regions: ['eu-west-1', 'swedencentral'] },
        dataClassification: 'CONFIDENTIAL',
      }),
    ).toEqual([
      'gpt-4o-mini serves from us, outside the pinned residency eu-west-1, swedencentral',
      'gpt-4o-mini may receive up to INTERNAL data, the tenant sends CONFIDENTIAL',
    ]);
  });
});
