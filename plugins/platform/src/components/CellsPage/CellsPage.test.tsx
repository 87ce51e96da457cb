import { Entity } from '@backstage/catalog-model';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { entityRouteRef, catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen } from '@testing-library/react';
import { PlatformApi, platformApiRef } from '../../api';
import {
  mockPlatformApi,
  sloStatus,
} from '../../__testUtils__/mockPlatformApi';
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

async function renderWith(
  entities: Entity[],
  platformApi: PlatformApi = mockPlatformApi(),
) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [catalogApiRef, catalogApiMock({ entities })],
        [platformApiRef, platformApi],
      ]}
    >
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

  it("shows each cell's SLO state, budget left, cost against budget and runtime sync", async () => {
    const platformApi = mockPlatformApi({
      getSloReport: jest.fn(async ({ cell: name }) => ({
        scope: { kind: 'cell' as const, name: name! },
        objectives:
          name === 'meridian-dedicated'
            ? [
                sloStatus(),
                sloStatus({
                  alertState: 'page',
                  errorBudget: { remainingFraction: -0.25 },
                }),
              ]
            : [sloStatus()],
      })),
      getCellRuntime: jest.fn(async name =>
        name === 'meridian-dedicated'
          ? {
              cell: name,
              inSync: false,
              drift: false,
              consecutiveFailures: 3,
              lastError: 'connect ECONNREFUSED',
            }
          : { cell: name, inSync: true, drift: false, consecutiveFailures: 0 },
      ),
      getCostBreakdown: jest.fn(async () => ({
        from: '',
        to: '',
        groupBy: 'cell',
        granularity: 'day' as const,
        totalUsd: 1250.5,
        groups: [
          {
            key: 'meridian-dedicated',
            costUsd: 1250.5,
            inputTokens: 1,
            outputTokens: 1,
            requests: 1,
          },
        ],
        series: [],
      })),
    });
    await renderWith(
      [
        cell('meridian-dedicated', 'dedicated', 'us-east-1', ['meridian']),
        cell('eu-west-shared-1', 'shared', 'eu-west-1', []),
        {
          apiVersion: 'cellport.dev/v1alpha1',
          kind: 'Tenant',
          metadata: { name: 'meridian', namespace: 'default' },
          spec: { monthlyBudgetUsd: 40000 },
        },
      ],
      platformApi,
    );
    const meridian = (await screen.findByText('meridian-dedicated')).closest(
      'tr',
    )!;
    expect(meridian).toHaveTextContent('page');
    expect(meridian).toHaveTextContent('exhausted (1.25× spent)');
    expect(meridian).toHaveTextContent('$1,250.50 / $40,000.00');
    expect(meridian).toHaveTextContent('failing');
    const shared = screen.getByText('eu-west-shared-1').closest('tr')!;
    expect(shared).toHaveTextContent('ok');
    expect(shared).toHaveTextContent('50.0%');
    expect(shared).toHaveTextContent('$0.00 / no budget');
    expect(shared).toHaveTextContent('in sync');
  });

  it('still lists the cells when the platform backend fails', async () => {
    await renderWith(
      [cell('meridian-dedicated', 'dedicated', 'us-east-1', [])],
      mockPlatformApi({
        getSloReport: jest.fn(async () => {
          throw new Error('503 Service Unavailable');
        }),
      }),
    );
    const row = (await screen.findByText('meridian-dedicated')).closest('tr')!;
    expect(row).toHaveTextContent('no data');
  });
});
