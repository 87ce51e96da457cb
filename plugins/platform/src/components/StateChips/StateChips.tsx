import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { AlertState, CellRuntimeStatus, SloState } from '../../api';

/**
 * Alert state of an SLO or cell. Backstage's status components pair the theme's status colour
 * with an icon, so the state reads without colour too; the word is always written out.
 */
export function AlertStateChip({ state }: { state: AlertState | undefined }) {
  switch (state) {
    case 'ok':
      return <StatusOK>ok</StatusOK>;
    case 'ticket':
      return <StatusWarning>ticket</StatusWarning>;
    case 'page':
      return <StatusError>page</StatusError>;
    default:
      return <StatusPending>no data</StatusPending>;
  }
}

/**
 * An SLO's or a cell's state, one word that cannot contradict the error budget (platform-
 * common's `sloState`): a burning SLO also names the severity of the alert that fires.
 */
export function SloStateChip({
  state,
  alertState,
}: {
  state: SloState | undefined;
  alertState?: AlertState;
}) {
  switch (state) {
    case 'ok':
      return <StatusOK>ok</StatusOK>;
    case 'burning':
      return alertState === 'page' ? (
        <StatusError>burning (page)</StatusError>
      ) : (
        <StatusWarning>burning (ticket)</StatusWarning>
      );
    case 'exhausted':
      return <StatusError>exhausted</StatusError>;
    default:
      return <StatusPending>no data</StatusPending>;
  }
}

/**
 * What the reconciler says about a cell's gateway, in a word or three. Undefined is a state
 * that could not be read (no permission, or the request failed).
 */
export function runtimeSyncLabel(runtime: CellRuntimeStatus | undefined) {
  if (!runtime) return 'unknown';
  // Without a gateway that answers there is nothing to sync: say so first.
  switch (runtime.gateway?.state) {
    case 'not-configured':
      return 'no gateway';
    case 'starting':
      return 'gateway starting';
    case 'failing':
      return 'gateway failing';
    default:
  }
  if (!runtime.seen) return 'not synced yet';
  if (runtime.lastError && runtime.consecutiveFailures > 0) return 'failing';
  if (runtime.drift) return 'drift';
  return runtime.inSync ? 'in sync' : 'pending';
}

export function RuntimeSyncChip({
  runtime,
}: {
  runtime: CellRuntimeStatus | undefined;
}) {
  const label = runtimeSyncLabel(runtime);
  switch (label) {
    case 'in sync':
      return <StatusOK>{label}</StatusOK>;
    case 'failing':
    case 'gateway failing':
      return <StatusError>{label}</StatusError>;
    case 'no gateway':
      return <StatusWarning>{label}</StatusWarning>;
    case 'drift':
      return <StatusWarning>{label}</StatusWarning>;
    default:
      return <StatusPending>{label}</StatusPending>;
  }
}
