import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { useSignal } from '@backstage/plugin-signals-react';
import { platformDeployApplyPermission } from '@cellport/plugin-platform-common';
import {
  DeployRolloutSignal,
  deployRolloutChannel,
} from '@cellport/plugin-platform-deploy-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { useEffect, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  DeployApplyResponse,
  DeployPlan,
  DeployRolloutStatus,
  platformApiRef,
} from '../../api';
import { DeployAuditTable } from './DeployAuditTable';
import { DeployPlanTable } from './DeployPlanTable';
import { DeployResultTable } from './DeployResultTable';
import { OverrideReasonDialog } from './OverrideReasonDialog';
import { RolloutTable } from './RolloutTable';

const AUDIT_ROWS = 10;
/**
 * How often the rollout is read again while a workload is still rolling out, when no signal
 * came: the backend signals every change of a rollout it follows after an apply, so this
 * only covers a rollout started elsewhere, or signals that cannot reach the page.
 */
export const ROLLOUT_REFRESH_MS = 30_000;

function planSummary(plan: DeployPlan): string {
  const { create, change, unchanged, prune } = plan.counts;
  return `${create} to create, ${change} to change, ${unchanged} unchanged, ${prune} to prune`;
}

function Section(props: { title: string; children: React.ReactNode }) {
  return (
    <Box mt={2}>
      <Typography variant="h6" component="h3" gutterBottom>
        {props.title}
      </Typography>
      {props.children}
    </Box>
  );
}

/**
 * Deploying a Cell or InferenceDeployment to its cluster: the plan (what apply would create,
 * change or prune), an Apply button for those allowed `platform.deploy.apply`, what the last
 * apply did to each object, the rollout of its workloads and the audit log. When the cell's
 * error budget is spent, or cannot be read, the apply is refused, and the card asks for an
 * override reason.
 */
export function DeployCard({ entityRef }: { entityRef: string }) {
  const api = useApi(platformApiRef);
  // Bumped after every apply attempt, and for each read of a rollout in progress. They are
  // dependencies rather than retry() calls: a retry asked for while a read is in flight (an
  // apply right after a refused one) would be dropped, leaving the card stale.
  const [applies, setApplies] = useState(0);
  const [rolloutReads, setRolloutReads] = useState(0);
  const plan = useAsync(
    () => api.getDeployPlan(entityRef),
    [api, entityRef, applies],
  );
  const rollout = useAsync(
    () => api.getDeployStatus(entityRef),
    [api, entityRef, applies, rolloutReads],
  );
  const audit = useAsync(
    () => api.getDeployAudit(entityRef, AUDIT_ROWS),
    [api, entityRef, applies],
  );
  // A failed read keeps the last rollout on screen, next to the error, and is read again.
  const [lastRollout, setLastRollout] = useState<DeployRolloutStatus>();
  useEffect(() => {
    if (rollout.value) setLastRollout(rollout.value);
  }, [rollout.value]);
  const shownRollout =
    rollout.value ??
    (lastRollout?.entityRef === entityRef ? lastRollout : undefined);
  // A rollout takes minutes: follow it until every workload is rolled out.
  const rollingOut = shownRollout?.workloads.some(w => !w.rolledOut) ?? false;
  const { lastSignal } = useSignal<DeployRolloutSignal>(
    deployRolloutChannel(entityRef),
  );
  useEffect(() => {
    if (lastSignal) setRolloutReads(n => n + 1);
  }, [lastSignal]);
  useEffect(() => {
    if (!rollingOut) return undefined;
    const timer = setTimeout(
      () => setRolloutReads(n => n + 1),
      ROLLOUT_REFRESH_MS,
    );
    return () => clearTimeout(timer);
  }, [rollingOut, rollout.value, rollout.error]);
  const { allowed } = usePermission({
    permission: platformDeployApplyPermission,
  });
  const [applying, setApplying] = useState(false);
  const [response, setResponse] = useState<DeployApplyResponse>();
  const [applyError, setApplyError] = useState<Error>();
  const [askReason, setAskReason] = useState(false);

  const apply = async (overrideReason?: string) => {
    setAskReason(false);
    setApplying(true);
    setApplyError(undefined);
    try {
      const answer = await api.applyDeploy(entityRef, overrideReason);
      setResponse(answer);
      if (
        answer.result === 'refused' &&
        (answer.errorBudgetExhausted || answer.errorBudgetUnknown)
      ) {
        setAskReason(true);
      }
    } catch (e) {
      setApplyError(e as Error);
    } finally {
      setApplying(false);
      setApplies(n => n + 1);
    }
  };

  const cluster = plan.value?.cluster;
  return (
    <InfoCard
      title="Deploy"
      subheader={
        cluster
          ? `The catalog's manifests against cluster ${cluster.name}`
          : "The catalog's manifests against the cell's cluster"
      }
      action={
        allowed && (
          <Button
            color="primary"
            variant="contained"
            disabled={applying || !cluster?.configured}
            onClick={() => apply()}
          >
            {applying ? 'Applying…' : 'Apply'}
          </Button>
        )
      }
    >
      {applyError && (
        <ResponseErrorPanel error={applyError} title="Apply failed" />
      )}
      {response && <DeployResultTable response={response} />}
      <OverrideReasonDialog
        open={askReason}
        cell={response?.cell ?? ''}
        budgetUnknown={response?.errorBudgetUnknown ?? false}
        onCancel={() => setAskReason(false)}
        onConfirm={reason => apply(reason)}
      />

      <Section title="Plan">
        {plan.loading && !plan.value && <Progress />}
        {plan.error && (
          <ResponseErrorPanel
            error={plan.error}
            title="The plan could not be made"
          />
        )}
        {plan.value && (
          <>
            {!plan.value.cluster.configured && (
              <Typography variant="body2" paragraph>
                Cluster {plan.value.cluster.name} is not configured, so nothing
                can be applied: {plan.value.cluster.message}
              </Typography>
            )}
            <Typography variant="body2" paragraph>
              {planSummary(plan.value)}
            </Typography>
            <DeployPlanTable plan={plan.value} />
          </>
        )}
      </Section>

      <Section title="Rollout">
        {rollout.loading && !shownRollout && <Progress />}
        {rollout.error && (
          <ResponseErrorPanel
            error={rollout.error}
            title="Rollout status could not be read"
          />
        )}
        {shownRollout &&
          (shownRollout.cluster.configured ? (
            <RolloutTable workloads={shownRollout.workloads} />
          ) : (
            <Typography variant="body2">
              No cluster configured, no rollout to show.
            </Typography>
          ))}
      </Section>

      <Section title="Audit log">
        {audit.loading && !audit.value && <Progress />}
        {audit.error && (
          <ResponseErrorPanel
            error={audit.error}
            title="The audit log could not be loaded"
          />
        )}
        {audit.value && <DeployAuditTable records={audit.value.items} />}
      </Section>
    </InfoCard>
  );
}
