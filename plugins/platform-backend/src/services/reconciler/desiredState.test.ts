import { Entity } from '@backstage/catalog-model';
import {
  TEST_ENTITIES,
  testPlatformCatalog,
} from '../../__testUtils__/entities';
import { computeDesiredState } from './desiredState';

const contoso: Entity = {
  ...TEST_ENTITIES.find(e => e.metadata.name === 'northwind-retail')!,
  metadata: { name: 'contoso-travel' },
};
(contoso.spec as any) = { ...contoso.spec, cell: 'eu-west-shared-1' };

describe('computeDesiredState', () => {
  it('includes tenants that name the cell, and key hashes provisioned outside the catalog', async () => {
    const entities = await testPlatformCatalog(undefined, [
      ...TEST_ENTITIES,
      contoso,
    ]).entities();
    const cell = entities.cells.find(
      c => c.metadata.name === 'eu-west-shared-1',
    )!;
    const demoKey = {
      tenant: 'contoso-travel',
      sha256: 'c'.repeat(64),
      prefix: 'cpk_demo01',
    };
    const elsewhere = {
      tenant: 'meridian-bank',
      sha256: 'd'.repeat(64),
      prefix: 'cpk_demo02',
    };
    const { state } = computeDesiredState(cell, entities, {
      extraApiKeys: [demoKey, elsewhere],
    });
    expect(state.tenants.map(t => t.id)).toContain('contoso-travel');
    expect(state.apiKeys).toContainEqual(demoKey);
    // A key of a tenant the cell does not host is not pushed to it.
    expect(state.apiKeys).not.toContainEqual(elsewhere);
  });

  it('gives the same version to the same content', async () => {
    const entities = await testPlatformCatalog().entities();
    const cell = entities.cells[0];
    expect(computeDesiredState(cell, entities).state.version).toBe(
      computeDesiredState(cell, entities).state.version,
    );
  });
});
