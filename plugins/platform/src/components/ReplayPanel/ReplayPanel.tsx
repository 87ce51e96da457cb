import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import { useEffect, useState } from 'react';
import { platformApiRef, ReplayChangedRoute, ReplayJob } from '../../api';
import { DecisionDrawer } from '../DecisionDrawer';
import { ReplayedRouteDetails } from './ReplayedRouteDetails';
import { formatCount, formatShortTime } from '../format';
import { PlatformErrorPanel } from '../PlatformErrorPanel';
import { useTimeRange } from '../TimeRangePicker';
import { ProposedChangeForm } from './ProposedChangeForm';
import { ChangeDraft, toProposedChange } from './proposedChange';
import { ReplayResultView } from './ReplayResultView';
import { useReplayChoices } from './useReplayChoices';

/** How often a running replay is asked for its progress. */
export const REPLAY_POLL_MS = 1000;

/**
 * "What if…": replays the page's time range of this cell's or agent's stored decisions under
 * one proposed change, follows the job's progress, and shows what would have happened against
 * what did. A changed route opens in the decision drawer.
 */
export function ReplayPanel(props: {
  scope: { cell: string } | { agent: string };
  /** The change the form starts with (a ModelProfile page proposes that profile down). */
  initial?: Partial<ChangeDraft>;
  /** How often a running job is polled; tests shorten it. */
  pollMs?: number;
}) {
  const pollMs = props.pollMs ?? REPLAY_POLL_MS;
  const scope: { cell?: string; agent?: string } = props.scope;
  const api = useApi(platformApiRef);
  const { range, label } = useTimeRange();
  const choices = useReplayChoices(scope);
  const [draft, setDraft] = useState<ChangeDraft>({
    kind: 'policy',
    agent: scope.agent ?? '',
    policy: 'cost',
    profile: '',
    inputPrice: '',
    outputPrice: '',
    tenant: '',
    allowlist: [],
    ...props.initial,
  });
  const [job, setJob] = useState<ReplayJob>();
  const [error, setError] = useState<Error>();
  const [openRoute, setOpenRoute] = useState<ReplayChangedRoute>();
  const proposal = toProposedChange(draft);
  const running = job?.state === 'running';

  // One poll in flight at a time; a job that ended (or a new one) stops the chain.
  useEffect(() => {
    if (!job || job.state !== 'running') return undefined;
    let stopped = false;
    const timer = setTimeout(() => {
      api.getReplay(job.id).then(
        // A poll answered after the cancel must not bring the job back to running.
        next =>
          !stopped &&
          setJob(current =>
            current?.id === next.id && current.state !== 'running'
              ? current
              : next,
          ),
        e => !stopped && setError(e),
      );
    }, pollMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, job, pollMs]);

  const run = async () => {
    if (!('change' in proposal)) return;
    setError(undefined);
    setJob(undefined);
    try {
      setJob(
        await api.startReplay({ ...scope, ...range, change: proposal.change }),
      );
    } catch (e) {
      setError(e as Error);
    }
  };
  const cancel = async () => {
    if (!job) return;
    try {
      setJob(await api.cancelReplay(job.id));
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <InfoCard
      title="What if…"
      subheader={`Replays ${label.toLocaleLowerCase(
        'en-US',
      )} of stored decisions under a proposed change, with the gateway's own router.`}
    >
      {choices.loading && <Progress />}
      {choices.error && (
        <PlatformErrorPanel
          error={choices.error}
          title="The catalog's agents, tenants and profiles could not be loaded"
        />
      )}
      {choices.value && (
        <ProposedChangeForm
          draft={draft}
          choices={choices.value}
          onChange={setDraft}
        />
      )}
      <Box display="flex" alignItems="center">
        <Button
          variant="contained"
          color="primary"
          disabled={running || !('change' in proposal)}
          onClick={run}
        >
          Replay
        </Button>
        {running && (
          <Box ml={2}>
            <Button variant="outlined" onClick={cancel}>
              Cancel
            </Button>
          </Box>
        )}
        <Box ml={2}>
          <Typography variant="body2" color="textSecondary">
            {'missing' in proposal ? proposal.missing : ''}
          </Typography>
        </Box>
      </Box>
      {error && (
        <Box mt={2}>
          <PlatformErrorPanel error={error} title="The replay failed" />
        </Box>
      )}
      {job && (
        <Box mt={2} role="status" aria-label="Replay progress">
          {running && <LinearProgress />}
          <Typography variant="body2">{progressText(job)}</Typography>
        </Box>
      )}
      {job?.state === 'done' && job.result && (
        <ReplayResultView result={job.result} onOpenRoute={setOpenRoute} />
      )}
      <DecisionDrawer
        id={openRoute?.decisionId}
        onClose={() => setOpenRoute(undefined)}
        beside={
          openRoute && {
            title: 'Under the proposed change',
            content: <ReplayedRouteDetails route={openRoute} />,
          }
        }
      />
    </InfoCard>
  );
}

function progressText(job: ReplayJob): string {
  const read = `${formatCount(job.progress.decisions)} decisions read`;
  const through = job.progress.through
    ? `, through ${formatShortTime(job.progress.through)} UTC`
    : '';
  switch (job.state) {
    case 'running':
      return `Replaying… ${read}${through}`;
    case 'done':
      return `Done: ${read}.`;
    case 'cancelled':
      return `Cancelled after ${read}.`;
    default:
      return `Failed after ${read}: ${job.error?.message ?? 'no reason given'}`;
  }
}
