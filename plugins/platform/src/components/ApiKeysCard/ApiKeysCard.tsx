import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  API_KEYS_ANNOTATION,
  ApiKeySummary,
  parseApiKeysAnnotation,
  RotatedApiKey,
} from '@cellport/plugin-platform-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { platformApiRef } from '../../api';
import { formatLocalTime } from '../format';
import { PlatformErrorPanel } from '../PlatformErrorPanel';
import { RotatedKeyNotice } from './RotatedKeyNotice';
import { RotateKeyDialog } from './RotateKeyDialog';

function keyState(key: ApiKeySummary): string {
  if (key.source === 'configuration') {
    return 'configuration key (platform.reconciler.apiKeys): not rotatable here';
  }
  if (key.notServed === 'not-issued') {
    return 'not served: the portal did not issue it';
  }
  if (key.notServed === 'issued-to-another') {
    return 'not served: the portal issued it to another tenant or agent';
  }
  if (!key.expiresAt) return 'active';
  return Date.parse(key.expiresAt) > Date.now()
    ? `rotated out, valid until ${formatLocalTime(key.expiresAt)}`
    : `expired ${formatLocalTime(key.expiresAt)}`;
}

/** What the portal may rotate: not a key already rotated out, another owner's or the configuration's. */
function rotatable(key: ApiKeySummary): boolean {
  return (
    !key.expiresAt &&
    key.notServed !== 'issued-to-another' &&
    key.source !== 'configuration'
  );
}

function KeyRow(props: {
  apiKey: ApiKeySummary;
  mayRotate: boolean;
  onRotate: (prefix: string) => void;
}) {
  const { apiKey } = props;
  return (
    <TableRow>
      <TableCell>
        <code>{`${apiKey.prefix}…`}</code>
      </TableCell>
      <TableCell>
        {apiKey.agent ? (
          <EntityRefLink entityRef={apiKey.agent} defaultKind="Agent" />
        ) : (
          'any agent of the tenant'
        )}
      </TableCell>
      <TableCell>
        {apiKey.createdAt ? formatLocalTime(apiKey.createdAt) : '—'}
      </TableCell>
      <TableCell>{keyState(apiKey)}</TableCell>
      <TableCell>
        <code>{`sha256:${apiKey.fingerprint}`}</code>
      </TableCell>
      {props.mayRotate && (
        <TableCell>
          {rotatable(apiKey) && (
            <Button
              size="small"
              variant="outlined"
              aria-label={`Rotate ${apiKey.prefix}`}
              onClick={() => props.onRotate(apiKey.prefix)}
            >
              Rotate
            </Button>
          )}
        </TableCell>
      )}
    </TableRow>
  );
}

/**
 * The API keys of a tenant (its own and its agents') or of one agent, as the platform backend
 * merges them: the catalog's `cellport.dev/api-keys` annotations and the keys rotations made.
 * Prefixes, dates and a short fingerprint only: a key is shown once, when it is made. Holders
 * of `platform.apikey.rotate` for the tenant may rotate an active key.
 */
export function ApiKeysCard(props: { tenant: string; agent?: string }) {
  const { tenant, agent } = props;
  const api = useApi(platformApiRef);
  const { entity } = useEntity();
  const [rotating, setRotating] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [rotated, setRotated] = useState<RotatedApiKey>();
  const [rotateError, setRotateError] = useState<Error>();
  const keys = useAsyncRetry(
    () => api.listApiKeys(agent ? { agent } : { tenant }),
    [api, tenant, agent],
  );
  const annotation = parseApiKeysAnnotation(
    entity.metadata.annotations?.[API_KEYS_ANNOTATION],
  );

  async function rotate() {
    if (!rotating) return;
    setBusy(true);
    setRotateError(undefined);
    try {
      setRotated(await api.rotateApiKey(tenant, rotating));
      keys.retry();
    } catch (error) {
      setRotateError(error as Error);
    } finally {
      setBusy(false);
      setRotating(undefined);
    }
  }

  let body;
  if (keys.loading && !keys.value) body = <Progress />;
  else if (keys.error)
    body = (
      <PlatformErrorPanel
        title="The API keys could not be loaded"
        error={keys.error}
      />
    );
  else if (!keys.value?.items.length)
    body = (
      <Typography>
        No API keys for this {agent ? 'agent' : 'tenant'} yet. The “Onboard a
        tenant” and “Register an agent” templates make a key and show it once;
        keys set in app-config (platform.reconciler.apiKeys) are not listed
        here.
      </Typography>
    );
  else
    body = (
      <Table size="small" aria-label="API keys">
        <TableHead>
          <TableRow>
            <TableCell>Key</TableCell>
            <TableCell>Bound to</TableCell>
            <TableCell>Created</TableCell>
            <TableCell>State</TableCell>
            <TableCell>Fingerprint</TableCell>
            {keys.value.mayRotate && <TableCell />}
          </TableRow>
        </TableHead>
        <TableBody>
          {keys.value.items.map(key => (
            <KeyRow
              key={`${key.source}:${key.prefix}:${key.fingerprint}`}
              apiKey={key}
              mayRotate={keys.value!.mayRotate}
              onRotate={setRotating}
            />
          ))}
        </TableBody>
      </Table>
    );

  return (
    <InfoCard
      title="API keys"
      subheader="Prefixes only: a key is shown once, when it is made"
    >
      {!annotation.ok && (
        <WarningPanel
          severity="error"
          title={`The ${
            agent ? 'agent' : 'tenant'
          }'s API keys could not be read`}
          defaultExpanded
          message={`${annotation.error}. Fix the annotation in its catalog file; until then the reconciler pushes none of the keys it lists.`}
        />
      )}
      {rotated && <RotatedKeyNotice rotated={rotated} />}
      {rotateError && (
        <PlatformErrorPanel
          title="The key could not be rotated"
          error={rotateError}
        />
      )}
      {body}
      <RotateKeyDialog
        prefix={rotating}
        neverServed={keys.value?.items.some(
          key => key.prefix === rotating && key.notServed === 'not-issued',
        )}
        busy={busy}
        onCancel={() => setRotating(undefined)}
        onConfirm={rotate}
      />
    </InfoCard>
  );
}
