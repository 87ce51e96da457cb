import { EmptyState, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Grid from '@material-ui/core/Grid';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef, PlatformScope } from '../../api';
import { SloCard } from './SloCard';
import { ServiceSloSections } from './ServiceSloSections';
import { PlatformErrorPanel } from '../PlatformErrorPanel';

/**
 * The SLOs of a cell (every runtime service's), tenant or agent, one card each. SLOs are measured over their own rolling
 * window, so the page's time range does not apply here.
 */
export function SloCards({ scope }: { scope: PlatformScope }) {
  const api = useApi(platformApiRef);
  const { value, loading, error } = useAsync(
    () => api.getSloReport(scope),
    [api, scope.cell, scope.tenant, scope.agent],
  );
  if (loading) return <Progress />;
  if (error)
    return (
      <PlatformErrorPanel error={error} title="SLOs could not be loaded" />
    );
  // A cell's report lists every runtime service's objectives, the gateway's among them.
  if (value?.services?.length)
    return <ServiceSloSections services={value.services} />;
  if (!value?.objectives.length)
    return (
      <EmptyState
        missing="data"
        title="No SLOs"
        description="Declare spec.slos on the entity, or the platform defaults apply once traffic flows."
      />
    );
  return (
    <Grid container spacing={2}>
      {value.objectives.map(slo => (
        <Grid item xs={12} md={6} xl={4} key={slo.objective.name}>
          <SloCard slo={slo} />
        </Grid>
      ))}
    </Grid>
  );
}
