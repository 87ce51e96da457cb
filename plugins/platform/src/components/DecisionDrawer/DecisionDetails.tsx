import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import { DecisionDetail } from '../../api';
import {
  formatMs,
  formatPercent,
  formatTime,
  formatTokens,
  formatUsd,
} from '../format';
import { FactsTable } from '../FactsTable';
import { CandidatesTable } from './CandidatesTable';
import { latencyFacts } from './latencyFacts';
import { traceUrl } from './traceUrl';

function Section(props: { title: string; children: ReactNode }) {
  return (
    <Box mt={3}>
      <Typography variant="h6" component="h3" gutterBottom>
        {props.title}
      </Typography>
      {props.children}
    </Box>
  );
}

/** The request's trace: a link when a trace viewer is configured, else its id. */
function TraceFact({ traceId }: { traceId: string }) {
  const config = useApi(configApiRef);
  const href = traceUrl(
    config.getOptionalString('platform.traceViewerUrl'),
    traceId,
  );
  if (!href) {
    return <>{traceId}</>;
  }
  return (
    <Link href={href} target="_blank" rel="noopener noreferrer">
      Open trace
    </Link>
  );
}

/** Every candidate and why, the chosen route, fallbacks, latencies, tokens and cost. */
export function DecisionDetails({ detail }: { detail: DecisionDetail }) {
  const { decision, usage } = detail;
  return (
    <>
      <FactsTable
        label="Decision"
        rows={[
          ['Time', `${formatTime(decision.timestamp)} UTC`],
          ['Request', decision.requestId],
          ...(decision.traceId
            ? [
                ['Trace', <TraceFact traceId={decision.traceId} />] as [
                  string,
                  ReactNode,
                ],
              ]
            : []),
          ['Tenant / agent', `${decision.tenant} / ${decision.agent ?? '—'}`],
          ['Asked for', decision.requestedModel],
          ['Policy', decision.policy],
          ['Complexity', formatPercent(decision.complexityScore, 0)],
          [
            'Required capabilities',
            decision.requiredCapabilities.join(', ') || 'none',
          ],
          ['Estimated input', formatTokens(decision.estimatedInputTokens)],
          [
            'Chosen route',
            decision.chosen ?? 'none: every route failed or was dropped',
          ],
          [
            'Outcome',
            decision.errorClass
              ? `${decision.outcome} (${decision.errorClass})`
              : decision.outcome,
          ],
          ['Router decision', formatMs(decision.routerDecisionMs)],
          ['State version', decision.stateVersion],
          ...(detail.demo
            ? [['Data', 'backfilled demo history'] as [string, string]]
            : []),
        ]}
      />
      <Section title="Candidates">
        <CandidatesTable label="Candidates" candidates={decision.candidates} />
      </Section>
      <Section title="Fallbacks tried">
        {decision.fallbacks.length === 0 ? (
          <Typography>None: the first route answered.</Typography>
        ) : (
          <FactsTable
            label="Fallbacks tried"
            rows={decision.fallbacks.map((f, i) => [
              `${i + 1}. ${f.modelProfile}`,
              `${f.errorClass}${
                f.status ? ` (HTTP ${f.status})` : ''
              } after ${formatMs(f.latencyMs)}`,
            ])}
          />
        )}
      </Section>
      <Section title="Usage">
        {usage ? (
          <FactsTable
            label="Usage"
            rows={[
              [
                'Served by',
                `${usage.modelProfile ?? '—'} (${usage.provider ?? '—'})`,
              ],
              [
                'Tokens',
                `${formatTokens(usage.inputTokens)} in, ${formatTokens(
                  usage.outputTokens,
                )} out${usage.tokensEstimated ? ' (estimated)' : ''}`,
              ],
              ['Cost', formatUsd(usage.costUsd)],
              ...latencyFacts(usage, decision.fallbacks),
              ['HTTP status', usage.status],
              ['Cached', usage.cached ? 'yes' : 'no'],
            ]}
          />
        ) : (
          <Typography>
            No usage event for this request yet: gateways send it after the
            response ends.
          </Typography>
        )}
      </Section>
    </>
  );
}
