import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  Content,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import {
  catalogApiRef,
  EntityRefLink,
  EntityRefLinks,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { CellSpec, TenantSpec } from '@cellport/plugin-platform-common';
import { useNavigate } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef } from '../../api';
import { resolveRefs } from '../entityRefs';
import { formatBudgetLeft, formatUsd } from '../format';
import { leastBudgetRemaining, worstAlertState } from '../sloState';
import {
  AlertStateChip,
  RuntimeSyncChip,
  runtimeSyncLabel,
} from '../StateChips';
import { CellStatus, loadCellStatuses } from './cellStatus';

type CellRow = {
  entity: Entity;
  spec: CellSpec;
  id: string;
  tier: string;
  location: string;
  tenantRefs: CompoundEntityRef[];
  tenants: number;
  status?: CellStatus;
  /** Plain values for sorting and filtering. */
  sloState: string;
  budgetRemaining?: number;
  monthToDateUsd?: number;
  budgetUsd?: number;
  sync: string;
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
  {
    title: 'SLO state',
    field: 'sloState',
    render: row => (
      <span title="The worst alert state of the cell's SLOs">
        <AlertStateChip state={worstAlertState(row.status?.slo)} />
      </span>
    ),
  },
  {
    title: 'Error budget left',
    field: 'budgetRemaining',
    type: 'numeric',
    render: row => formatBudgetLeft(row.budgetRemaining),
  },
  {
    title: 'Cost MTD / budget',
    field: 'monthToDateUsd',
    type: 'numeric',
    render: row =>
      `${formatUsd(row.monthToDateUsd)} / ${
        row.budgetUsd ? formatUsd(row.budgetUsd) : 'no budget'
      }`,
  },
  {
    title: 'Runtime sync',
    field: 'sync',
    render: row => <RuntimeSyncChip runtime={row.status?.runtime} />,
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

function toRow(
  entity: Entity,
  status: CellStatus | undefined,
  budgets: Map<string, number>,
): CellRow {
  const spec = entity.spec as unknown as CellSpec;
  const tenantRefs = hostedTenants(entity, spec);
  // A cell's budget is its tenants' monthly budgets: what they may spend, here or elsewhere.
  const budgetUsd = tenantRefs.reduce(
    (sum, ref) => sum + (budgets.get(stringifyEntityRef(ref)) ?? 0),
    0,
  );
  const state = worstAlertState(status?.slo);
  return {
    entity,
    spec,
    id: entity.metadata.name,
    tier: spec.tier,
    location: `${spec.cloud} / ${spec.region}`,
    tenantRefs,
    tenants: tenantRefs.length,
    status,
    sloState: state ?? 'no data',
    budgetRemaining: leastBudgetRemaining(status?.slo),
    monthToDateUsd: status?.monthToDateUsd,
    budgetUsd: budgetUsd || undefined,
    sync: runtimeSyncLabel(status?.runtime),
  };
}

/** Every cell of the platform in one table, with its SLO, cost and runtime state. */
export function CellsPage() {
  const catalogApi = useApi(catalogApiRef);
  const platformApi = useApi(platformApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const navigate = useNavigate();

  const { value, loading, error } = useAsync(async () => {
    const [cells, tenants] = await Promise.all([
      catalogApi.getEntities({
        filter: { kind: 'Cell' },
        order: { field: 'metadata.name', order: 'asc' },
      }),
      catalogApi.getEntities({
        filter: { kind: 'Tenant' },
        fields: ['kind', 'metadata.name', 'metadata.namespace', 'spec'],
      }),
    ]);
    const budgets = new Map(
      tenants.items.map(t => [
        stringifyEntityRef(t),
        (t.spec as unknown as TenantSpec)?.monthlyBudgetUsd ?? 0,
      ]),
    );
    const statuses = await loadCellStatuses(platformApi, cells.items);
    return cells.items.map(c =>
      toRow(c, statuses.get(c.metadata.name), budgets),
    );
  }, [catalogApi, platformApi]);

  if (loading) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;

  return (
    <Content>
      <Table<CellRow>
        title={`Cells (${value?.length ?? 0})`}
        options={{ paging: false, search: true, padding: 'dense' }}
        columns={columns}
        data={value ?? []}
        onRowClick={(_event, row) =>
          row &&
          entityRoute &&
          navigate(
            entityRoute({
              kind: 'cell',
              namespace: row.entity.metadata.namespace ?? 'default',
              name: row.entity.metadata.name,
            }),
          )
        }
        filters={[
          { column: 'Tier', type: 'multiple-select' },
          { column: 'Cloud / region', type: 'multiple-select' },
          { column: 'SLO state', type: 'multiple-select' },
          { column: 'Runtime sync', type: 'multiple-select' },
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
