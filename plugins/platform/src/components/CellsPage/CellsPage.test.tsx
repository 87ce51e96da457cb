import { Entity } from '@backstage/catalog-model';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { entityRouteRef, catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen } from '@testing-library/react';
import { CellsPage } from './CellsPage';

function cell(
  name: string,
  tier: string,
  region: string,
  tenants: string[],
): Entity {
  return {
    apiVersion: 'cellport.dev/v1alpha1',
    kind: 'Cell',
    metadata: { name, namespace: 'default' },
    spec: {
      owner: 'group:platform-sre',
      tier,
      cloud: 'aws',
      region,
      cluster: `eks-${name}`,
      namespaces: ['cellport-runtime'],
      capacity: { maxTenants: 10, maxRequestsPerSecond: 100, gpus: 0 },
      tenants,
    },
  };
}

async function renderWith(entities: Entity[]) {
  await renderInTestApp(
    <TestApiProvider apis={[[catalogApiRef, catalogApiMock({ entities })]]}>
      <CellsPage />
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

describe('CellsPage', () => {
  it('lists every cell with tier, region and tenants', async () => {
    await renderWith([
      cell('eu-west-shared-1', 'shared', 'eu-west-1', ['northwind', 'contoso']),
      cell('meridian-dedicated', 'dedicated', 'us-east-1', ['meridian']),
      {
        apiVersion: 'cellport.dev/v1alpha1',
        kind: 'Tenant',
        metadata: { name: 'northwind', namespace: 'default' },
        spec: {},
      },
    ]);
    expect(await screen.findByText('Cells (2)')).toBeInTheDocument();
    expect(screen.getByText('eu-west-shared-1')).toBeInTheDocument();
    expect(screen.getByText('aws / us-east-1')).toBeInTheDocument();
    expect(screen.getByText('2 of 10 tenants')).toBeInTheDocument();
    expect(screen.getByText('meridian')).toBeInTheDocument();
  });

  it('says what to do when there are no cells', async () => {
    await renderWith([]);
    expect(
      await screen.findByText(/No cells in the catalog yet/),
    ).toBeInTheDocument();
  });
});
