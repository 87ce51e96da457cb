import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
} from '@backstage/catalog-model';
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
  tenantRefs: CompoundEntityRef[];
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
      <EntityRefLinks entityRefs={row.tenantRefs} defaultKind="Tenant" />
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

/**
 * The tenants a cell hosts: those its entity lists and those onboarded into it that name it,
 * both of which the catalog relates with `hosts`.
 */
function hostedTenants(entity: Entity, spec: CellSpec): CompoundEntityRef[] {
  const related = (entity.relations ?? [])
    .filter(r => r.type === 'hosts' && r.targetRef.startsWith('tenant:'))
    .map(r => parseEntityRef(r.targetRef));
  return related.length > 0
    ? related
    : resolveRefs(spec.tenants, 'Tenant', entity.metadata.namespace);
}

function toRow(entity: Entity): CellRow {
  const spec = entity.spec as unknown as CellSpec;
  const tenantRefs = hostedTenants(entity, spec);
  return {
    entity,
    spec,
    id: entity.metadata.name,
    tier: spec.tier,
    location: `${spec.cloud} / ${spec.region}`,
    region: spec.region,
    tenantRefs,
    tenants: tenantRefs.length,
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
