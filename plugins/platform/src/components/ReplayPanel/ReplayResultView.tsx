import Box from '@material-ui/core/Box';
import Link from '@material-ui/core/Link';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { ReactNode } from 'react';
import type { ReplayChangedRoute, ReplayResult } from '../../api';
import { candidatesLine, REPLAY_CAUSES, routeLabel } from './replayLabels';
import { FactsTable } from '../FactsTable';
import {
  formatCount,
  formatMs,
  formatPercent,
  formatShortTime,
  formatUsd,
} from '../format';

/** `+$1.20` / `−$0.45`: a change reads with its sign. */
export function formatUsdChange(delta: number): string {
  if (delta === 0) return formatUsd(0);
  return `${delta > 0 ? '+' : '−'}${formatUsd(Math.abs(delta))}`;
}

function Section(props: { title: string; children: ReactNode }) {
  return (
    <Box mt={3}>
      <Typography variant="h6" gutterBottom>
        {props.title}
      </Typography>
      {props.children}
    </Box>
  );
}

function Grid(props: {
  label: string;
  head: string[];
  rows: Array<{ key: string; cells: ReactNode[] }>;
}) {
  return (
    <Table size="small" aria-label={props.label}>
      <TableHead>
        <TableRow>
          {props.head.map(h => (
            <TableCell key={h}>{h}</TableCell>
          ))}
        </TableRow>
      </TableHead>
      <TableBody>
        {props.rows.map(row => (
          <TableRow key={row.key}>
            {row.cells.map((cell, i) => (
              <TableCell key={i}>{cell}</TableCell>
            ))}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** A replay's result against what happened: every figure the panel answers with. */
export function ReplayResultView(props: {
  result: ReplayResult;
  onOpenRoute: (route: ReplayChangedRoute) => void;
}) {
  const { result } = props;
  const { cost, decisions, latency } = result;
  const tiers = [
    ...new Set([
      ...Object.keys(result.qualityTiers.recorded),
      ...Object.keys(result.qualityTiers.proposed),
    ]),
  ].sort();
  const share = (count: number | undefined) =>
    decisions.replayed > 0
      ? formatPercent((count ?? 0) / decisions.replayed)
      : '—';

  return (
    <Box>
      <Section title="Cost">
        <FactsTable
          label="Replay totals"
          rows={[
            ['Decisions replayed', formatCount(decisions.replayed)],
            ['Cost as it happened', formatUsd(cost.recordedUsd)],
            ['Cost under the change', formatUsd(cost.proposedUsd)],
            ['Change', formatUsdChange(cost.deltaUsd)],
            ...(decisions.truncated
              ? ([
                  [
                    'Truncated',
                    'The range had more decisions than one replay reads',
                  ],
                ] as Array<[string, ReactNode]>)
              : []),
          ]}
        />
        <Grid
          label="Cost by agent"
          head={[
            'Agent',
            'Decisions',
            'As it happened',
            'Under the change',
            'Change',
          ]}
          rows={cost.byAgent.map(a => ({
            key: a.agent,
            cells: [
              a.agent,
              formatCount(a.decisions),
              formatUsd(a.recordedUsd),
              formatUsd(a.proposedUsd),
              formatUsdChange(a.deltaUsd),
            ],
          }))}
        />
      </Section>

      <Section title="Quality tiers">
        <Grid
          label="Quality tier mix"
          head={['Tier', 'As it happened', 'Under the change']}
          rows={tiers.map(tier => ({
            key: tier,
            cells: [
              tier,
              `${formatCount(result.qualityTiers.recorded[tier] ?? 0)} (${share(
                result.qualityTiers.recorded[tier],
              )})`,
              `${formatCount(result.qualityTiers.proposed[tier] ?? 0)} (${share(
                result.qualityTiers.proposed[tier],
              )})`,
            ],
          }))}
        />
      </Section>

      <Section title="Refusals under the change">
        {result.refusals.proposed.length === 0 ? (
          <Typography>The change refuses no request.</Typography>
        ) : (
          <Grid
            label="Refusals"
            head={['Why', 'Code', 'Requests', 'For example']}
            rows={result.refusals.proposed.map(r => ({
              key: `${r.reason}-${r.code}`,
              cells: [r.reason, r.code, formatCount(r.count), r.example],
            }))}
          />
        )}
      </Section>

      <Section title="Changed routes">
        <Typography variant="body2" color="textSecondary" gutterBottom>
          {formatCount(result.changedRoutes.count)} routes change (
          {formatCount(result.changedRoutes.byChange)} by the change,{' '}
          {formatCount(result.changedRoutes.regardless)} regardless of it). A
          sample; open a decision to see it beside what the replay made of it.
        </Typography>
        <Grid
          label="Changed routes"
          head={[
            'Decision',
            'Time (UTC)',
            'Agent',
            'As it happened',
            'Under the change',
            "Replay's candidates",
            'Why',
          ]}
          rows={result.changedRoutes.sample.map(route => ({
            key: route.decisionId,
            cells: [
              <Link
                key="decision"
                component="button"
                onClick={() => props.onOpenRoute(route)}
              >
                {route.decisionId}
              </Link>,
              formatShortTime(route.timestamp),
              route.agent ?? '—',
              routeLabel(route, 'recorded'),
              routeLabel(route, 'proposed'),
              candidatesLine(route),
              REPLAY_CAUSES[route.cause],
            ],
          }))}
        />
      </Section>

      <Section title="Latency expectation">
        <FactsTable
          label="Latency expectation"
          rows={[
            [
              'Mean upstream latency as it happened',
              formatMs(latency.recordedMeanMs),
            ],
            ['Expected under the change', formatMs(latency.proposedMeanMs)],
            ...latency.observed.map(
              p =>
                [
                  `Observed ${p.modelProfile}`,
                  `${formatMs(p.meanUpstreamMs)} over ${formatCount(
                    p.requests,
                  )} requests`,
                ] as [string, ReactNode],
            ),
          ]}
        />
      </Section>

      {result.determinism && (
        <Section title="Determinism">
          <Typography>
            The unchanged state reproduces{' '}
            {formatPercent(result.determinism.share)} of{' '}
            {formatCount(result.determinism.compared)} recorded routes.
          </Typography>
        </Section>
      )}

      <Section title="What a replay cannot know">
        <ul aria-label="Caveats">
          {[...result.caveats, ...result.warnings].map(text => (
            <li key={text}>
              <Typography variant="body2">{text}</Typography>
            </li>
          ))}
        </ul>
      </Section>
    </Box>
  );
}
