import {
  InfoCard,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Typography from '@material-ui/core/Typography';
import { GPU_TYPES } from '@cellport/plugin-platform-common';
import { ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { GpuDeploymentCost, platformApiRef } from '../../api';
import { formatCount, formatPercent, formatUsd } from '../format';
import { useTimeRange } from '../TimeRangePicker';
import { PlatformErrorPanel } from '../PlatformErrorPanel';
import { FactsTable } from '../FactsTable';

const gpuName = (type: string) =>
  (GPU_TYPES as Record<string, { displayName: string }>)[type]?.displayName ??
  type;

/** What a GPU-hours figure rests on, in words. */
export function gpuHoursBasis(cost: GpuDeploymentCost): string {
  switch (cost.gpuHoursSource) {
    case 'observed':
      return 'pods seen in the cluster';
    case 'applied':
      return 'catalog minimum replicas since its first apply';
    case 'not-applied':
      return 'never applied, so not charged';
    default:
      return `pods seen for ${formatPercent(
        cost.observedShare,
        0,
      )} of the range, catalog minimum since its first apply for the rest`;
  }
}

const columns: TableColumn<GpuDeploymentCost>[] = [
  { title: 'Deployment', field: 'deployment' },
  { title: 'Model profile', field: 'modelProfile' },
  {
    title: 'GPUs',
    field: 'gpus',
    render: d =>
      `${formatCount(Math.round(d.gpus * 10) / 10)} × ${gpuName(d.gpuType)}`,
  },
  {
    title: 'GPU-hours',
    field: 'gpuHours',
    type: 'numeric',
    render: d =>
      `${formatCount(Math.round(d.gpuHours * 10) / 10)} h (${gpuHoursBasis(
        d,
      )})`,
  },
  {
    title: 'Cost',
    field: 'costUsd',
    type: 'numeric',
    render: d =>
      `${formatUsd(d.costUsd)} (${formatUsd(d.hourlyUsdPerGpu)}/GPU-h)`,
  },
  {
    title: 'Idle',
    field: 'idleUsd',
    type: 'numeric',
    render: d =>
      `${formatUsd(d.idleUsd)} (${formatPercent(
        d.costUsd ? d.idleUsd / d.costUsd : 0,
        0,
      )})`,
  },
  {
    title: 'Tenants (token share)',
    field: 'tenants',
    render: d =>
      d.tenants
        .map(t => `${t.tenant} ${formatPercent(t.tokenShare, 0)}`)
        .join(', ') || '—',
  },
];

/** One deployment as label/value rows: a half-width card has no room for the table. */
function DeploymentFacts({ cost }: { cost: GpuDeploymentCost }) {
  return (
    <FactsTable
      label="GPU cost"
      rows={columns.map(column => [
        column.title as string,
        column.render
          ? column.render(cost, 'row')
          : String(cost[column.field as keyof GpuDeploymentCost]),
      ])}
    />
  );
}

/**
 * GPU cost of inference deployments in the page's range: a cell's, or just one deployment's.
 * GPUs cost by the hour whether used or not, from their first apply; "idle" is the cost of the
 * hours in which the model served no tokens.
 */
export function GpuCostCard(props: {
  cell?: string;
  deployment?: string;
  action?: ReactNode;
}) {
  const api = useApi(platformApiRef);
  const { range, label } = useTimeRange();
  const { value, loading, error } = useAsync(
    () => api.getGpuCost(range, props.cell),
    [api, range, props.cell],
  );
  const deployments = (value?.deployments ?? []).filter(
    d => !props.deployment || d.deployment === props.deployment,
  );
  return (
    <InfoCard title="GPU cost" subheader={label} action={props.action}>
      {loading && <Progress />}
      {error && (
        <PlatformErrorPanel
          error={error}
          title="GPU cost could not be loaded"
        />
      )}
      {value && deployments.length === 0 && (
        <Typography>
          No inference deployments on GPUs here. Add one with the
          inference-deployment template.
        </Typography>
      )}
      {props.deployment && deployments.length === 1 && (
        <DeploymentFacts cost={deployments[0]} />
      )}
      {!props.deployment && deployments.length > 0 && (
        <Table<GpuDeploymentCost>
          options={{
            paging: false,
            search: false,
            toolbar: false,
            padding: 'dense',
          }}
          columns={columns}
          data={deployments}
        />
      )}
    </InfoCard>
  );
}
