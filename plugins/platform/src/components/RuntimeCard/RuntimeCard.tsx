import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { CellRuntimeStatus, platformApiRef } from '../../api';
import { formatCount, formatTime, shortVersion } from '../format';
import { RuntimeSyncChip } from '../StateChips';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

function rows(runtime: CellRuntimeStatus): Array<[string, React.ReactNode]> {
  return [
    ['Sync state', <RuntimeSyncChip runtime={runtime} />],
    ['Gateway', gatewayDescription(runtime)],
    ['Desired version', shortVersion(runtime.desiredVersion)],
    ['Last pushed version', shortVersion(runtime.pushedVersion)],
    ['Version the gateway runs', shortVersion(runtime.remoteVersion)],
    [
      'Drift',
      runtime.drift
        ? `yes (seen ${formatTime(runtime.lastDriftAt)} UTC)`
        : 'none at the last check',
    ],
    ['Last success', formatTime(runtime.lastSuccessAt)],
    [
      'Last error',
      runtime.lastError
        ? `${runtime.lastError} (${formatTime(runtime.lastErrorAt)}, ${
            runtime.consecutiveFailures
          } failures in a row)`
        : 'none',
    ],
    ['Next attempt', formatTime(runtime.nextAttemptAt)],
    [
      'Desired state',
      runtime.desired
        ? `${formatCount(runtime.desired.tenants)} tenants, ${formatCount(
            runtime.desired.apiKeys,
          )} API keys, ${formatCount(
            runtime.desired.modelProfiles,
          )} model profiles, ${formatCount(runtime.desired.agents)} agents`
        : '—',
    ],
  ];
}

const SOURCES: Record<CellRuntimeStatus['gateway']['source'], string> = {
  config: 'from platform.reconciler.gateways',
  catalog: "from the Cell's spec.gateway",
  'local-runtime': 'started by the portal (local runtime)',
  none: '',
};

/** Where the gateway answers, where that comes from, and why it cannot be used if it cannot. */
export function gatewayDescription(runtime: CellRuntimeStatus): string {
  const { gateway, gatewayUrl } = runtime;
  if (!gateway) return gatewayUrl ?? '—';
  const url = gatewayUrl ? `${gatewayUrl}, ` : '';
  switch (gateway.state) {
    case 'not-configured':
      return `none: ${gateway.detail ?? 'nothing provides one'}`;
    case 'starting':
      return `${url}starting (${SOURCES[gateway.source]})`;
    case 'failing':
      return `${url}failing (${SOURCES[gateway.source]}): ${
        gateway.detail ?? 'no detail'
      }`;
    default:
      return `${url}running (${SOURCES[gateway.source]})`;
  }
}

/** What the reconciler pushed to the cell's gateway, and a button to reconcile now. */
export function RuntimeCard({ cell }: { cell: string }) {
  const api = useApi(platformApiRef);
  const state = useAsyncRetry(() => api.getCellRuntime(cell), [api, cell]);
  const [reconcileError, setReconcileError] = useState<Error>();
  const [reconciling, setReconciling] = useState(false);

  const reconcile = async () => {
    setReconciling(true);
    setReconcileError(undefined);
    try {
      await api.reconcileCell(cell);
      state.retry();
    } catch (e) {
      setReconcileError(e as Error);
    } finally {
      setReconciling(false);
    }
  };

  return (
    <InfoCard
      title="Runtime"
      subheader="The catalog's desired state, as pushed to the cell's gateway"
      action={
        <Button onClick={reconcile} disabled={reconciling} color="primary">
          Reconcile now
        </Button>
      }
    >
      {reconcileError && (
        <PlatformErrorPanel error={reconcileError} title="Reconcile failed" />
      )}
      {state.loading && <Progress />}
      {state.error && (
        <PlatformErrorPanel
          error={state.error}
          title="Runtime state could not be loaded"
        />
      )}
      {state.value && !state.value.seen && (
        <>
          <Box mb={1}>
            <RuntimeSyncChip runtime={state.value} />
          </Box>
          <Typography paragraph>
            Gateway: {gatewayDescription(state.value)}.
          </Typography>
          <Typography>
            Nothing has been pushed to this cell's gateway yet: the reconciler
            picks up new cells from the catalog on its next pass (every 30
            seconds by default). Press “Reconcile now” to push at once; if the
            cell stays unsynced, check that the reconciler is enabled
            (platform.reconciler.enabled).
          </Typography>
        </>
      )}
      {state.value?.seen && (
        <Table size="small" aria-label="Runtime">
          <TableBody>
            {rows(state.value).map(([label, value]) => (
              <TableRow key={label}>
                <TableCell component="th" scope="row" style={{ width: '35%' }}>
                  {label}
                </TableCell>
                <TableCell>{value}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
}
