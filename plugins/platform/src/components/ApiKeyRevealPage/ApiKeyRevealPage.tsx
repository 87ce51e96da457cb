import {
  Content,
  CopyTextButton,
  Header,
  InfoCard,
  Page,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { RevealedApiKey } from '@cellport/plugin-platform-common';
import { useState } from 'react';
import { Route, Routes, useParams } from 'react-router-dom';
import { platformApiRef } from '../../api';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

type RevealState =
  | { step: 'ready' }
  | { step: 'revealing' }
  | { step: 'revealed'; key: RevealedApiKey }
  | { step: 'failed'; error: Error };

/** Why a reveal failed, in words: a second visit is expected, not an error. */
function RevealFailure({ error }: { error: Error }) {
  const status = (error as { status?: unknown }).status;
  if (status === 404) {
    return (
      <WarningPanel
        severity="info"
        title="This key was already revealed, or the link expired"
      >
        A key is shown only once, and Cellport keeps only its SHA-256, so it
        cannot be shown again. If nobody stored it, create a new key and rotate
        the old one out.
      </WarningPanel>
    );
  }
  return (
    <PlatformErrorPanel title="The key could not be revealed" error={error} />
  );
}

function RevealedKey({ revealed }: { revealed: RevealedApiKey }) {
  return (
    <InfoCard title="Your new API key">
      <Typography paragraph>
        Store it now, in your secret manager: this is the only time it is shown.
        It works for{' '}
        <EntityRefLink entityRef={revealed.tenant} defaultKind="Tenant" />
        {revealed.agent ? (
          <>
            {' '}
            (agent{' '}
            <EntityRefLink entityRef={revealed.agent} defaultKind="Agent" />)
          </>
        ) : null}
        . Call the cell's gateway with{' '}
        <code>Authorization: Bearer &lt;key&gt;</code>.
      </Typography>
      <Box display="flex" alignItems="center">
        <Typography
          component="code"
          aria-label="API key"
          style={{
            fontFamily: 'monospace',
            fontSize: '1.1em',
            wordBreak: 'break-all',
          }}
        >
          {revealed.apiKey}
        </Typography>
        <CopyTextButton text={revealed.apiKey} tooltipText="Key copied" />
      </Box>
      <GatewayToCall revealed={revealed} />
    </InfoCard>
  );
}

/** A first call, ready to paste: the key against the gateway of the tenant's cell. */
export function curlFor(gatewayUrl: string, apiKey: string): string {
  return [
    `curl -s ${gatewayUrl.replace(/\/$/, '')}/v1/chat/completions \\`,
    `  -H 'Authorization: Bearer ${apiKey}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"model":"auto","messages":[{"role":"user","content":"Hello"}]}'`,
  ].join('\n');
}

function GatewayToCall({ revealed }: { revealed: RevealedApiKey }) {
  const { gateway } = revealed;
  if (!gateway) {
    return (
      <Typography paragraph>
        No cell hosts this tenant yet, so no gateway serves the key.
      </Typography>
    );
  }
  if (!gateway.url) {
    return (
      <Typography paragraph>
        The gateway of cell{' '}
        <EntityRefLink entityRef={`cell:default/${gateway.cell}`} /> is not
        running yet: {gateway.status.detail ?? gateway.status.state}. Its Deploy
        card applies it; the key works there once the reconciler has pushed it.
      </Typography>
    );
  }
  const curl = curlFor(gateway.url, revealed.apiKey);
  return (
    <Box mt={2}>
      <Typography paragraph>
        Gateway of cell{' '}
        <EntityRefLink entityRef={`cell:default/${gateway.cell}`} />:{' '}
        <code aria-label="Gateway URL">{gateway.url}/v1</code>
        {gateway.status.state === 'running'
          ? ''
          : ` (${gateway.status.state}${
              gateway.status.detail ? `: ${gateway.status.detail}` : ''
            })`}
      </Typography>
      <Box display="flex" alignItems="flex-start">
        <Typography
          component="pre"
          aria-label="First call"
          style={{ fontFamily: 'monospace', whiteSpace: 'pre-wrap', margin: 0 }}
        >
          {curl}
        </Typography>
        <CopyTextButton text={curl} tooltipText="Command copied" />
      </Box>
    </Box>
  );
}

/** One reveal link: asks before spending the one reveal, then shows the key. */
export function ApiKeyReveal() {
  const { token = '' } = useParams();
  const api = useApi(platformApiRef);
  const [state, setState] = useState<RevealState>({ step: 'ready' });

  async function reveal() {
    setState({ step: 'revealing' });
    try {
      setState({ step: 'revealed', key: await api.revealApiKey(token) });
    } catch (error) {
      setState({ step: 'failed', error: error as Error });
    }
  }

  if (state.step === 'revealed') return <RevealedKey revealed={state.key} />;
  if (state.step === 'failed') return <RevealFailure error={state.error} />;
  return (
    <InfoCard title="Reveal your new API key">
      <Typography paragraph>
        The key can be shown once. Reveal it when you are ready to store it;
        after that, this link stops working.
      </Typography>
      <Button
        variant="contained"
        color="primary"
        disabled={state.step === 'revealing'}
        onClick={reveal}
      >
        Reveal key
      </Button>
    </InfoCard>
  );
}

/**
 * Where a template run's "Reveal the API key (once)" link leads (`/api-keys/reveal/:token`).
 * A link preview or a prefetch must not spend the reveal, so the key is fetched only when the
 * person presses the button.
 */
export function ApiKeyRevealPage() {
  return (
    <Page themeId="tool">
      <Header title="API key" subtitle="Shown once, stored only as a hash" />
      <Content>
        <Routes>
          <Route path="reveal/:token" element={<ApiKeyReveal />} />
        </Routes>
      </Content>
    </Page>
  );
}
