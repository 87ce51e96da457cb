import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import { ApiKeysCard } from '../ApiKeysCard';
import { BudgetCard } from '../BudgetCard';
import { CostCard } from '../CostCard';
import { PageToolbar } from '../PageToolbar';
import { SloCards } from '../SloCards';
import { TenantResourcesCard } from './TenantResourcesCard';

/** The Tenant's "Dashboard" tab: budget and spend, its cells, agents and keys, cost, SLOs. */
export function TenantDashboard() {
  const { entity } = useEntity();
  const tenant = entity.metadata.name;
  return (
    <>
      <PageToolbar note="Limits and the model allowlist are on the Overview tab." />
      <Grid container spacing={3}>
        <Grid item xs={12} md={6}>
          <BudgetCard tenants={[tenant]} />
        </Grid>
        <Grid item xs={12} md={6}>
          <TenantResourcesCard />
        </Grid>
        <Grid item xs={12} md={6}>
          <ApiKeysCard tenant={tenant} />
        </Grid>
        <Grid item xs={12}>
          <CostCard
            scope={{ tenant }}
            groupings={['agent', 'cell', 'modelProfile']}
          />
        </Grid>
        <Grid item xs={12}>
          <SloCards scope={{ tenant }} />
        </Grid>
      </Grid>
    </>
  );
}
