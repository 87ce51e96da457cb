import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef, useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { PageToolbar } from '../PageToolbar';
import { ReplayPanel } from '../ReplayPanel';
import { cellsUsingProfile } from './cellsUsingProfile';

/**
 * The ModelProfile page's "What if…": this profile down, removed or repriced, replayed over a
 * cell's stored decisions. The cells offered are those whose tenants may route to it.
 */
export function ModelProfileReplay() {
  const { entity } = useEntity();
  const profile = entity.metadata.name;
  const catalogApi = useApi(catalogApiRef);
  const cells = useAsync(async () => {
    const [cellItems, tenantItems] = await Promise.all(
      ['Cell', 'Tenant'].map(kind =>
        catalogApi.getEntities({ filter: { kind } }).then(r => r.items),
      ),
    );
    return cellsUsingProfile(profile, cellItems, tenantItems);
  }, [catalogApi, profile]);
  const [picked, setPicked] = useState<string>();

  if (cells.loading) return <Progress />;
  if (cells.error) return <ResponseErrorPanel error={cells.error} />;
  const names = cells.value ?? [];
  if (names.length === 0) {
    return (
      <Typography>
        No tenant's allowlist names {profile}: no cell routes to it, so there is
        nothing to replay.
      </Typography>
    );
  }
  const cell = picked ?? names[0];
  return (
    <>
      <PageToolbar
        note={`Replays a cell's decisions as if ${profile} had been down, removed or priced otherwise.`}
      />
      <Box mb={2} maxWidth={360}>
        <TextField
          select
          fullWidth
          size="small"
          variant="outlined"
          id="model-profile-replay-cell"
          label="Cell whose decisions to replay"
          value={cell}
          onChange={e => setPicked(e.target.value)}
          SelectProps={{ native: true }}
          helperText={`${names.length} cell${
            names.length === 1 ? '' : 's'
          } may route to ${profile}`}
        >
          {names.map(name => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </TextField>
      </Box>
      <ReplayPanel
        key={cell}
        scope={{ cell }}
        initial={{ kind: 'down', profile }}
      />
    </>
  );
}
