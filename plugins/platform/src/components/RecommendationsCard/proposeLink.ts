import type { Recommendation } from '@cellport/plugin-platform-common';
import { formatUsd } from '../format';

/** The scaffolder template that proposes an agent's routing change (templates/agent-change). */
export const AGENT_CHANGE_TEMPLATE = 'agent-change';

/**
 * The template's form, filled in with a recommendation: the agent, the change, and the
 * evidence for the commit message, so the reviewer of the proposal sees why.
 */
export function proposeLink(recommendation: Recommendation): string {
  const { change, evidence } = recommendation;
  const formData = {
    agent: `agent:default/${recommendation.agent}`,
    ...(change.policy ? { policy: change.policy } : {}),
    ...(change.preferredModels
      ? { preferredModels: change.preferredModels }
      : {}),
    reason: [
      `Recommendation: ${change.summary}, saving ${formatUsd(
        recommendation.monthlySavingUsd,
      )} a month (×${evidence.monthlyFactor} of ${
        evidence.measuredDays
      } days).`,
      `Evidence: ${evidence.decisionsReplayed} decisions replayed from ${
        evidence.from
      } to ${evidence.to}: ${formatUsd(
        evidence.currentUsd,
      )} under the current routing, ${formatUsd(
        evidence.proposedUsd,
      )} under the change.`,
      `Risk (${recommendation.risk.level}): ${recommendation.risk.notes.join(
        ' ',
      )}`,
    ].join('\n'),
  };
  return `/create/templates/default/${AGENT_CHANGE_TEMPLATE}?formData=${encodeURIComponent(
    JSON.stringify(formData),
  )}`;
}
