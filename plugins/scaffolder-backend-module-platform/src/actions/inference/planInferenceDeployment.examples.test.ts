import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { createPlanInferenceDeploymentAction } from './planInferenceDeployment';
import { examples } from './planInferenceDeployment.examples';

describe('cellport:inference:plan examples', () => {
  it("Example 1: fits Llama 3.1 70B on four H100s in eu-west-shared-1's GPU pool", async () => {
    const { plan } = await runExample(examples[0], {
      actions: [
        createPlanInferenceDeploymentAction({
          catalog: catalogServiceMock({ entities: demoCatalog() }),
        }),
      ],
    });
    expect(plan.fit).toBe('fits');
    expect(plan.cellRegion).toBe('eu-west-1');
    expect(plan.entity.metadata.name).toBe('llama-3-1-70b-eu');
    expect(plan.entity.spec).toMatchObject({
      gpu: { type: 'H100-80GB', count: 4 },
      replicas: { min: 1, max: 2 },
    });
    expect(plan.message).toMatch(/^Fits: needs .* GiB per GPU/);
    expect(plan.headroomGiB).toBeGreaterThan(0);
  });
});
