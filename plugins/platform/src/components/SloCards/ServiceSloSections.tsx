import { InfoCard } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import type { ServiceSloStatus } from '@cellport/plugin-platform-common';
import { objectiveText, SloCard } from './SloCard';

/** Where a service's SLIs come from, in the reader's words. */
const SOURCE_TEXT: Record<ServiceSloStatus['sliSource'], string> = {
  events: "from the gateway's events",
  prometheus: 'from Prometheus',
};

/** An objective whose SLI could not be read: what it promises, and why there is no figure. */
function UnavailableSloCard({ entry }: { entry: ServiceSloStatus }) {
  const name = entry.objective.name;
  return (
    <InfoCard title={name} subheader={objectiveText(entry)}>
      <Typography
        variant="body1"
        color="textSecondary"
        aria-label={`${name} state`}
      >
        {entry.sliUnavailable?.message ?? 'SLI unavailable'}
      </Typography>
    </InfoCard>
  );
}

/**
 * A cell's SLOs, service by service in seed 001's order, each saying where its SLIs are read
 * from: the gateway's events (the portal's engine) or Prometheus.
 */
export function ServiceSloSections({
  services,
}: {
  services: ServiceSloStatus[];
}) {
  const ids = [...new Set(services.map(s => s.service))];
  return (
    <>
      {ids.map(id => {
        const entries = services.filter(s => s.service === id);
        const title = entries[0].serviceTitle;
        return (
          <Box component="section" mb={3} key={id} aria-label={title}>
            <Typography variant="h6" component="h3">
              {title}
            </Typography>
            <Typography variant="body2" color="textSecondary" gutterBottom>
              SLIs {SOURCE_TEXT[entries[0].sliSource]}
            </Typography>
            <Grid container spacing={2}>
              {entries.map(entry => (
                <Grid item xs={12} md={6} xl={4} key={entry.objective.name}>
                  {entry.status ? (
                    <SloCard slo={entry.status} sliSource={entry.sliSource} />
                  ) : (
                    <UnavailableSloCard entry={entry} />
                  )}
                </Grid>
              ))}
            </Grid>
          </Box>
        );
      })}
    </>
  );
}
