import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import { AlertsCard } from '../AlertsCard';
import { BlastRadiusCard } from '../BlastRadiusCard';
import { EntityDeployCard } from '../DeployCard';
import { PageToolbar } from '../PageToolbar';
import { RuntimeCard } from '../RuntimeCard';
import { SloCards } from '../SloCards';
import { TrafficCard } from '../TrafficCard';

/**
 * The Cell's "Dashboard" tab: firing alerts, SLOs, traffic, who is in the blast radius, runtime sync, and
 * deploying its manifests to its cluster.
 */
export function CellDashboard() {
  const { entity } = useEntity();
  const cell = entity.metadata.name;
  return (
    <>
      <PageToolbar note="SLOs and error budgets are over each SLO's own window; the rest over the time range." />
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <AlertsCard cell={cell} />
        </Grid>
        <Grid item xs={12}>
          <SloCards scope={{ cell }} />
        </Grid>
        <Grid item xs={12}>
          <TrafficCard scope={{ cell }} />
        </Grid>
        <Grid item xs={12} md={6}>
          <BlastRadiusCard cell={cell} />
        </Grid>
        <Grid item xs={12} md={6}>
          <RuntimeCard cell={cell} />
        </Grid>
        <Grid item xs={12}>
          <EntityDeployCard />
        </Grid>
      </Grid>
    </>
  );
}
