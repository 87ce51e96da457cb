import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { createPlanTenantOnboardingAction } from './planTenantOnboarding';
import { examples } from './planTenantOnboarding.examples';

describe('cellport:tenant:plan examples', () => {
  it('Example 1: places Contoso Travel in the EU West shared cell, pinned to the EU', async () => {
    const { plan } = await runExample(examples[0], {
      actions: [
        createPlanTenantOnboardingAction({
          catalog: catalogServiceMock({ entities: demoCatalog() }),
        }),
      ],
    });
    expect(plan).toMatchObject({
      newCell: false,
      tenantRef: 'tenant:default/contoso-travel',
      cellRef: 'cell:default/eu-west-shared-1',
    });
    expect(plan.tenant.spec).toMatchObject({
      cell: 'eu-west-shared-1',
      residency: { pinned: true, regions: ['eu-west-1', 'swedencentral'] },
      rateLimits: { requestsPerMinute: 300, tokensPerMinute: 200000 },
    });
  });
});
