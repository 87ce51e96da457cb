import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  BURN_RATE_ALERTS,
  RUNTIME_SERVICES,
} from '@cellport/plugin-platform-common';
import useAsync from 'react-use/esm/useAsync';
import { platformApiRef, ReceivedAlert } from '../../api';
import { formatLocalTime } from '../format';
import { PlatformErrorPanel } from '../PlatformErrorPanel';
import { decisionsInWindowLink } from '../SloCards/SloCard';

/** A service's name as seed 001's table writes it; an unknown one as labelled. */
function serviceTitle(service: string | undefined): string {
  return RUNTIME_SERVICES.find(s => s.id === service)?.title ?? service ?? '—';
}

/**
 * The alerts Alertmanager sent about a cell that still fire: severity, service, SLO, since
 * when (in the reader's time zone), and the routing decisions of the alert's window.
 */
/**
 * What an empty list means. When the portal's own burn rates alert while Alertmanager sent
 * nothing, the two disagree: say so rather than "nothing is firing" beside a paging SLO card.
 */
function quietText(
  cell: string,
  objectives: Array<{ objective: { name: string }; alertState?: string }>,
): string {
  const alerting = objectives
    .filter(o => o.alertState === 'page' || o.alertState === 'ticket')
    .map(o => `${o.objective.name} (${o.alertState})`);
  if (alerting.length === 0) return `No alert is firing for ${cell}.`;
  return `Alertmanager has sent no firing alert for ${cell}, but the portal's own burn rates alert on ${alerting.join(
    ', ',
  )}: if this cell's Prometheus and Alertmanager run, check that Alertmanager posts to the portal (the webhook token).`;
}

export function AlertsCard({
  cell,
  timeZone,
}: {
  cell: string;
  /** The reader's own zone unless given (tests). */
  timeZone?: string;
}) {
  const api = useApi(platformApiRef);
  const { value, loading, error } = useAsync(async () => {
    const [alerts, slos] = await Promise.all([
      api.listAlerts({ cell, state: 'firing' }),
      // Which objectives are availability ones, for the link to failed requests; the alerts
      // still show without it.
      api.getSloReport({ cell }).catch(() => undefined),
    ]);
    return { alerts: alerts.items, objectives: slos?.objectives ?? [] };
  }, [api, cell]);

  const indicatorOf = (alert: ReceivedAlert) =>
    value?.objectives.find(o => o.objective.name === alert.slo)?.objective
      .indicator;
  const longWindowOf = (alert: ReceivedAlert) =>
    BURN_RATE_ALERTS.find(p => p.alert === alert.alertname)?.longWindow;

  return (
    <InfoCard
      title="Firing alerts"
      subheader="From Alertmanager, as the cell's on-call receives them"
    >
      {loading && <Progress />}
      {error && (
        <PlatformErrorPanel error={error} title="Alerts could not be loaded" />
      )}
      {value && value.alerts.length === 0 && (
        <Typography variant="body2">
          {quietText(cell, value.objectives)}
        </Typography>
      )}
      {value && value.alerts.length > 0 && (
        <Table size="small" aria-label={`Firing alerts of ${cell}`}>
          <TableHead>
            <TableRow>
              <TableCell>Severity</TableCell>
              <TableCell>Service</TableCell>
              <TableCell>SLO</TableCell>
              <TableCell>Firing since</TableCell>
              <TableCell>Alert</TableCell>
              <TableCell>Requests</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {value.alerts.map(alert => (
              <TableRow key={alert.fingerprint}>
                <TableCell>{alert.severity ?? '—'}</TableCell>
                <TableCell>{serviceTitle(alert.service)}</TableCell>
                <TableCell>{alert.slo ?? '—'}</TableCell>
                <TableCell>
                  {formatLocalTime(alert.startsAt, timeZone)}
                </TableCell>
                <TableCell>{alert.summary ?? alert.alertname}</TableCell>
                <TableCell>
                  <Link
                    to={decisionsInWindowLink(
                      longWindowOf(alert),
                      indicatorOf(alert),
                    )}
                  >
                    Decisions in the window
                  </Link>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
}
