import { TEST_ENTITIES } from '@cellport/plugin-platform-node-test-utils';
import { toPlatformEntities } from './platformEntities';

describe('toPlatformEntities', () => {
  it('sorts the platform kinds into their lists, with defaults applied, and hands over the invalid', () => {
    const invalid: string[] = [];
    const entities = toPlatformEntities(
      [
        ...TEST_ENTITIES,
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'not-a-platform-kind' },
        },
      ],
      (entity, issues) =>
        invalid.push(`${entity.metadata.name}: ${issues[0].path}`),
    );
    expect(entities.tenants.map(t => t.metadata.name)).toEqual([
      'northwind-retail',
      'brightpath-edu',
    ]);
    expect(entities.cells.map(c => c.metadata.name)).toEqual([
      'eu-west-shared-1',
      'us-east-shared-1',
    ]);
    expect(entities.agents).toHaveLength(2);
    expect(entities.inferenceDeployments).toHaveLength(1);
    expect(entities.modelProfiles).toHaveLength(3);
    expect(invalid).toEqual(['broken-tenant: spec.tier']);
  });
});
