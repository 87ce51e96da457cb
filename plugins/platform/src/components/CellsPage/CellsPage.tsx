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
  TableState,
  WarningPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import {
  catalogApiRef,
  EntityRefLink,
  EntityRefLinks,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { CellSpec, TenantSpec } from '@cellport/plugin-platform-common';
import { useCallback } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { CellSummary, platformApiRef } from '../../api';
import { resolveRefs } from '../entityRefs';
import { formatBudgetLeft, formatUsd } from '../format';
import Typography from '@material-ui/core/Typography';
import { SloStateChip, RuntimeSyncChip, runtimeSyncLabel } from '../StateChips';

type CellRow = {
  entity: Entity;
  spec: CellSpec;
  id: string;
  tier: string;
  location: string;
  tenantRefs: CompoundEntityRef[];
  tenants: number;
  summary?: CellSummary;
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
      <span
        title="The worst alert state of the cell's SLOs"
        style={{ whiteSpace: 'nowrap' }}
      >
        <SloStateChip
          state={row.summary?.sloState}
          alertState={row.summary?.alertState}
        />
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
    render: row => (
      <>
        {formatUsd(row.monthToDateUsd)} /{' '}
        {row.budgetUsd ? formatUsd(row.budgetUsd) : 'no budget'}
        {row.summary?.monthToDateGpuUsd !== undefined && (
          <Typography variant="caption" display="block" color="textSecondary">
            incl. GPUs {formatUsd(row.summary.monthToDateGpuUsd)}
          </Typography>
        )}
      </>
    ),
  },
  {
    title: 'Runtime sync',
    field: 'sync',
    render: row => <RuntimeSyncChip runtime={row.summary?.runtime} />,
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
  summary: CellSummary | undefined,
  budgets: Map<string, number>,
): CellRow {
  const spec = entity.spec as unknown as CellSpec;
  const tenantRefs = hostedTenants(entity, spec);
  // A cell's budget is its tenants' monthly budgets: what they may spend, here or elsewhere.
  const budgetUsd = tenantRefs.reduce(
    (sum, ref) => sum + (budgets.get(stringifyEntityRef(ref)) ?? 0),
    0,
  );
  return {
    entity,
    spec,
    id: entity.metadata.name,
    tier: spec.tier,
    location: `${spec.cloud} / ${spec.region}`,
    tenantRefs,
    tenants: tenantRefs.length,
    summary,
    sloState: summary?.sloState ?? 'no data',
    budgetRemaining: summary?.errorBudgetRemaining,
    monthToDateUsd: summary?.monthToDateUsd,
    budgetUsd: budgetUsd || undefined,
    sync: runtimeSyncLabel(summary?.runtime),
  };
}

/** Table filters and the URL parameters that keep them, so a filtered view can be shared. */
const FILTER_PARAMS: Record<string, string> = {
  Tier: 'tier',
  'Cloud / region': 'region',
  'SLO state': 'slo',
  'Runtime sync': 'sync',
};
const SEARCH_PARAM = 'q';

function tableStateFrom(params: URLSearchParams): TableState {
  const filters: Record<string, string[]> = {};
  for (const [column, param] of Object.entries(FILTER_PARAMS)) {
    const values = params.getAll(param);
    if (values.length) filters[column] = values;
  }
  // Keys left out, not undefined: the table spreads this over its defaults.
  const state: TableState = {};
  const search = params.get(SEARCH_PARAM);
  if (search) state.search = search;
  if (Object.keys(filters).length) {
    state.filters = filters;
    state.filtersOpen = true;
  }
  return state;
}

function withTableState(
  current: URLSearchParams,
  state: TableState,
): URLSearchParams {
  const next = new URLSearchParams(current);
  next.delete(SEARCH_PARAM);
  if (state.search) next.set(SEARCH_PARAM, state.search);
  for (const [column, param] of Object.entries(FILTER_PARAMS)) {
    next.delete(param);
    const value = state.filters?.[column];
    for (const v of ([] as string[]).concat(value ?? [])) next.append(param, v);
  }
  return next;
}

/**
 * Why part of the table is blank: the distinct problems of all rows (one missing permission
 * blanks a column in every row), or the summary request's own failure.
 */
function problemsOf(rows: CellRow[], summaryError?: string): string[] {
  if (summaryError) return [summaryError];
  return [...new Set(rows.flatMap(r => r.summary?.errors ?? []))];
}

/** Every cell of the platform in one table, with its SLO, cost and runtime state. */
export function CellsPage() {
  const catalogApi = useApi(catalogApiRef);
  const platformApi = useApi(platformApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();

  const { value, loading, error } = useAsync(async () => {
    const [cells, tenants, summaries] = await Promise.all([
      catalogApi.getEntities({
        filter: { kind: 'Cell' },
        order: { field: 'metadata.name', order: 'asc' },
      }),
      catalogApi.getEntities({
        filter: { kind: 'Tenant' },
        fields: ['kind', 'metadata.name', 'metadata.namespace', 'spec'],
      }),
      // One request for every cell; the catalog columns still show if it fails.
      platformApi.getCellSummaries().then(
        report => ({ report, error: undefined }),
        (e: Error) => ({ report: undefined, error: e.message }),
      ),
    ]);
    const budgets = new Map(
      tenants.items.map(t => [
        stringifyEntityRef(t),
        (t.spec as unknown as TenantSpec)?.monthlyBudgetUsd ?? 0,
      ]),
    );
    const byName = new Map(
      (summaries.report?.cells ?? []).map(c => [c.cell, c]),
    );
    const rows = cells.items.map(c =>
      toRow(c, byName.get(c.metadata.name), budgets),
    );
    return { rows, problems: problemsOf(rows, summaries.error) };
  }, [catalogApi, platformApi]);

  // The table reports its state after every render; only a change goes into the URL.
  const onStateChange = useCallback(
    (state: TableState) => {
      const next = withTableState(params, state);
      if (next.toString() !== params.toString())
        setParams(next, { replace: true });
    },
    [params, setParams],
  );

  if (loading) return <Progress />;
  if (error)
    return (
      <ResponseErrorPanel
        error={error}
        title="The catalog's cells could not be loaded; reload the page, or check the catalog backend"
      />
    );

  return (
    <Content>
      {value && value.problems.length > 0 && (
        <WarningPanel
          defaultExpanded
          title="Some columns are incomplete"
          message={
            <>
              The platform backend did not answer everything:{' '}
              {value.problems.join('; ')}. A missing permission is granted by
              the platform team; otherwise reload the page.
            </>
          }
        />
      )}
      <Table<CellRow>
        title={`Cells (${value?.rows.length ?? 0})`}
        options={{ paging: false, search: true, padding: 'dense' }}
        columns={columns}
        data={value?.rows ?? []}
        initialState={tableStateFrom(params)}
        onStateChange={onStateChange}
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
        filters={Object.keys(FILTER_PARAMS).map(column => ({
          column,
          type: 'multiple-select' as const,
        }))}
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
