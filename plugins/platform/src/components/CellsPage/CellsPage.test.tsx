import { Entity } from '@backstage/catalog-model';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { entityRouteRef, catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { useLocation } from 'react-router-dom';
import { PlatformApi, platformApiRef } from '../../api';
import { mockPlatformApi } from '../../__testUtils__/mockPlatformApi';
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

function LocationProbe() {
  return <output aria-label="location">{useLocation().search}</output>;
}

async function renderWith(
  entities: Entity[],
  platformApi: PlatformApi = mockPlatformApi(),
  search = '',
) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [catalogApiRef, catalogApiMock({ entities })],
        [platformApiRef, platformApi],
      ]}
    >
      <CellsPage />
      <LocationProbe />
    </TestApiProvider>,
    {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: [`/${search}`],
    },
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

  it("shows each cell's SLO state, budget left, cost against budget and runtime sync, from one request", async () => {
    const platformApi = mockPlatformApi({
      getCellSummaries: jest.fn(async () => ({
        asOf: '2026-11-23T00:00:00.000Z',
        month: '2026-11',
        cells: [
          {
            cell: 'meridian-dedicated',
            alertState: 'page' as const,
            sloState: 'exhausted' as const,
            errorBudgetRemaining: -0.25,
            monthToDateUsd: 1250.5,
            monthToDateGpuUsd: 1000,
            runtime: {
              cell: 'meridian-dedicated',
              gateway: {
                source: 'catalog' as const,
                state: 'running' as const,
              },
              seen: true,
              inSync: false,
              drift: false,
              consecutiveFailures: 3,
              lastError: 'connect ECONNREFUSED',
            },
            errors: [],
          },
          {
            cell: 'eu-west-shared-1',
            alertState: 'ok' as const,
            sloState: 'ok' as const,
            errorBudgetRemaining: 0.5,
            monthToDateUsd: 0,
            runtime: {
              cell: 'eu-west-shared-1',
              gateway: {
                source: 'catalog' as const,
                state: 'running' as const,
              },
              seen: true,
              inSync: true,
              drift: false,
              consecutiveFailures: 0,
            },
            errors: [],
          },
          {
            cell: 'apac-new',
            alertState: 'ok' as const,
            monthToDateUsd: 0,
            runtime: {
              cell: 'apac-new',
              gateway: {
                source: 'catalog' as const,
                state: 'running' as const,
              },
              seen: false,
              inSync: false,
              drift: false,
              consecutiveFailures: 0,
            },
            errors: [],
          },
        ],
      })),
    });
    await renderWith(
      [
        cell('meridian-dedicated', 'dedicated', 'us-east-1', ['meridian']),
        cell('eu-west-shared-1', 'shared', 'eu-west-1', []),
        cell('apac-new', 'shared', 'ap-southeast-1', []),
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
    expect(platformApi.getCellSummaries).toHaveBeenCalledTimes(1);
    expect(platformApi.getSloReport).not.toHaveBeenCalled();
    expect(platformApi.getCellRuntime).not.toHaveBeenCalled();
    expect(meridian).toHaveTextContent('exhausted');
    expect(meridian).not.toHaveTextContent(/\bok\b/);
    expect(meridian).toHaveTextContent('exhausted (1.25× spent)');
    expect(meridian).toHaveTextContent('$1,251 / $40,000');
    expect(meridian).toHaveTextContent('incl. GPUs $1,000');
    expect(meridian).toHaveTextContent('failing');
    const shared = screen.getByText('eu-west-shared-1').closest('tr')!;
    expect(shared).toHaveTextContent('ok');
    expect(shared).toHaveTextContent('50.0%');
    expect(shared).toHaveTextContent('$0.00 / no budget');
    expect(shared).toHaveTextContent('in sync');
    const fresh = screen.getByText('apac-new').closest('tr')!;
    expect(fresh).toHaveTextContent('not synced yet');
    // A new cell without traffic says so, not "ok".
    expect(fresh).toHaveTextContent('no data');
    expect(fresh).not.toHaveTextContent(/\bok\b/);
    expect(screen.queryByText(/Some columns are incomplete/)).toBeNull();
  });

  it('names what is missing, such as a permission', async () => {
    await renderWith(
      [cell('meridian-dedicated', 'dedicated', 'us-east-1', [])],
      mockPlatformApi({
        getCellSummaries: jest.fn(async () => ({
          asOf: '',
          month: '2026-11',
          cells: [
            {
              cell: 'meridian-dedicated',
              alertState: 'ok' as const,
              monthToDateUsd: 3,
              errors: ['runtime: not allowed: platform.runtime.read'],
            },
          ],
        })),
      }),
    );
    const row = (await screen.findByText('meridian-dedicated')).closest('tr')!;
    expect(row).toHaveTextContent('unknown');
    expect(screen.getByText(/Some columns are incomplete/)).toBeInTheDocument();
    expect(
      screen.getByText(/not allowed: platform\.runtime\.read/),
    ).toBeInTheDocument();
  });

  it('still lists the cells when the platform backend fails', async () => {
    await renderWith(
      [cell('meridian-dedicated', 'dedicated', 'us-east-1', [])],
      mockPlatformApi({
        getCellSummaries: jest.fn(async () => {
          throw new Error('503 Service Unavailable');
        }),
      }),
    );
    const row = (await screen.findByText('meridian-dedicated')).closest('tr')!;
    expect(row).toHaveTextContent('no data');
    expect(screen.getByText(/503 Service Unavailable/)).toBeInTheDocument();
  });

  it('keeps the search and filters in the URL', async () => {
    await renderWith(
      [
        cell('eu-west-shared-1', 'shared', 'eu-west-1', []),
        cell('meridian-dedicated', 'dedicated', 'us-east-1', []),
      ],
      mockPlatformApi(),
      '?tier=dedicated',
    );
    expect(await screen.findByText('meridian-dedicated')).toBeInTheDocument();
    expect(screen.queryByText('eu-west-shared-1')).toBeNull();
    fireEvent.change(screen.getByPlaceholderText('Filter'), {
      target: { value: 'meridian' },
    });
    await waitFor(() =>
      expect(screen.getByLabelText('location')).toHaveTextContent(
        '?q=meridian&tier=dedicated',
      ),
    );
  });
});
