import { parseEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { AgentSpec } from '@cellport/plugin-platform-common';
import Grid from '@material-ui/core/Grid';
import { ApiKeysCard } from '../ApiKeysCard';
import { CostCard } from '../CostCard';
import { PageToolbar } from '../PageToolbar';
import { SloCards } from '../SloCards';
import { TrafficCard } from '../TrafficCard';
import { AgentBudgetCard } from './AgentBudgetCard';

/**
 * The Agent's "Dashboard" tab: its SLOs, traffic, cost by model, cost vs run budget and its
 * API keys.
 */
export function AgentDashboard() {
  const { entity } = useEntity();
  const agent = entity.metadata.name;
  const spec = entity.spec as unknown as AgentSpec;
  const tenant = parseEntityRef(spec.tenant, { defaultKind: 'tenant' }).name;
  return (
    <>
      <PageToolbar note="The agent's configuration (models, fallback chain, tools) is on the Overview tab." />
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <SloCards scope={{ agent }} />
        </Grid>
        <Grid item xs={12} lg={8}>
          <CostCard scope={{ agent }} groupings={['modelProfile']} />
        </Grid>
        <Grid item xs={12} lg={4}>
          <AgentBudgetCard tenant={tenant} agent={agent} />
        </Grid>
        <Grid item xs={12}>
          <TrafficCard scope={{ agent }} />
        </Grid>
        <Grid item xs={12}>
          <ApiKeysCard tenant={tenant} agent={agent} />
        </Grid>
      </Grid>
    </>
  );
}
