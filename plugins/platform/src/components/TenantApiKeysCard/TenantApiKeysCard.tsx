import { InfoCard, WarningPanel } from '@backstage/core-components';
import { EntityRefLink, useEntity } from '@backstage/plugin-catalog-react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  AnnotatedApiKey,
  API_KEYS_ANNOTATION,
  parseApiKeysAnnotation,
} from '@cellport/plugin-platform-common';
import { formatLocalTime } from '../format';

/** Enough of a key's hash to tell two keys with one prefix apart, too little to matter. */
export const FINGERPRINT_LENGTH = 8;

function KeyRow({
  apiKey,
  namespace,
}: {
  apiKey: AnnotatedApiKey;
  namespace?: string;
}) {
  return (
    <TableRow>
      <TableCell>
        <code>{`${apiKey.prefix}…`}</code>
      </TableCell>
      <TableCell>
        {apiKey.agent ? (
          <EntityRefLink
            entityRef={{
              kind: 'agent',
              namespace: namespace ?? 'default',
              name: apiKey.agent,
            }}
            defaultKind="Agent"
          />
        ) : (
          'any agent of the tenant'
        )}
      </TableCell>
      <TableCell>
        <code>{`sha256:${apiKey.sha256.slice(0, FINGERPRINT_LENGTH)}`}</code>
      </TableCell>
      <TableCell>
        {apiKey.expiresAt
          ? `rotated out, valid until ${formatLocalTime(apiKey.expiresAt)}`
          : 'active'}
      </TableCell>
    </TableRow>
  );
}

/**
 * The Tenant's API keys from its `cellport.dev/api-keys` annotation: each key's prefix, the
 * agent it is bound to and a short fingerprint of its hash. The catalog never holds a key, and
 * the card never shows a whole hash.
 */
export function TenantApiKeysCard() {
  const { entity } = useEntity();
  const parsed = parseApiKeysAnnotation(
    entity.metadata.annotations?.[API_KEYS_ANNOTATION],
  );

  let body;
  if (!parsed.ok)
    body = (
      <WarningPanel
        severity="error"
        title="The tenant's API keys could not be read"
        defaultExpanded
        message={`${parsed.error}. Fix the annotation in the tenant's catalog file; until then the reconciler pushes no keys for this tenant.`}
      />
    );
  else if (parsed.keys.length === 0)
    body = (
      <Typography>
        No API keys in the catalog for this tenant. The “Onboard a tenant”
        template creates the first one and shows it once; keys set in app-config
        (platform.reconciler.apiKeys) are not listed here.
      </Typography>
    );
  else
    body = (
      <Table size="small" aria-label="API keys">
        <TableHead>
          <TableRow>
            <TableCell>Key</TableCell>
            <TableCell>Bound to</TableCell>
            <TableCell>Fingerprint</TableCell>
            <TableCell>State</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {parsed.keys.map(key => (
            <KeyRow
              key={key.sha256}
              apiKey={key}
              namespace={entity.metadata.namespace}
            />
          ))}
        </TableBody>
      </Table>
    );

  return (
    <InfoCard
      title="API keys"
      subheader="Prefixes only: a key is shown once, when it is created"
    >
      {body}
    </InfoCard>
  );
}
