import { Entity } from '@backstage/catalog-model';
import {
  Content,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  catalogApiRef,
  EntityRefLink,
  EntityRefLinks,
} from '@backstage/plugin-catalog-react';
import { CellSpec } from '@cellport/plugin-platform-common';
import useAsync from 'react-use/esm/useAsync';
import { resolveRefs } from '../entityRefs';

type CellRow = {
  entity: Entity;
  spec: CellSpec;
  id: string;
  tier: string;
  location: string;
  region: string;
  tenants: number;
};

const columns: TableColumn<CellRow>[] = [
  {
    title: 'Cell',
    field: 'id',
    highlight: true,
    render: row => <EntityRefLink entityRef={row.entity} />,
  },
  { title: 'Tier', field: 'tier' },
  { title: 'Cloud / region', field: 'location' },
  { title: 'Cluster', field: 'spec.cluster' },
  {
    title: 'Tenants hosted',
    field: 'tenants',
    render: row => (
      <EntityRefLinks
        entityRefs={resolveRefs(
          row.spec.tenants,
          'Tenant',
          row.entity.metadata.namespace,
        )}
        defaultKind="Tenant"
      />
    ),
  },
  {
    title: 'Capacity used',
    field: 'tenants',
    render: row => {
      const gpus = row.spec.capacity.gpus;
      return `${row.tenants} of ${row.spec.capacity.maxTenants} tenants${
        gpus ? `, ${gpus} GPUs` : ''
      }`;
    },
  },
];

function toRow(entity: Entity): CellRow {
  const spec = entity.spec as unknown as CellSpec;
  return {
    entity,
    spec,
    id: entity.metadata.name,
    tier: spec.tier,
    location: `${spec.cloud} / ${spec.region}`,
    region: spec.region,
    tenants: spec.tenants?.length ?? 0,
  };
}

/** Every cell of the platform in one table, filterable by tier and region. */
export function CellsPage() {
  const catalogApi = useApi(catalogApiRef);
  const { value, loading, error } = useAsync(async () => {
    const { items } = await catalogApi.getEntities({
      filter: { kind: 'Cell' },
      order: { field: 'metadata.name', order: 'asc' },
    });
    return items.map(toRow);
  }, [catalogApi]);

  if (loading) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;

  return (
    <Content>
      <Table<CellRow>
        title={`Cells (${value?.length ?? 0})`}
        options={{ paging: false, search: true, padding: 'dense' }}
        columns={columns}
        data={value ?? []}
        filters={[
          { column: 'Tier', type: 'multiple-select' },
          { column: 'Cloud / region', type: 'multiple-select' },
        ]}
        emptyContent={
          <div style={{ padding: 16 }}>
            No cells in the catalog yet. Onboard a tenant with the tenant-cell
            template, or register a Cell entity.
          </div>
        }
      />
    </Content>
  );
}
