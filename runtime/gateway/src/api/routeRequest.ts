import type { Classification } from '@cellport/plugin-platform-common';
import type { RoutePlan } from '../router/ModelRouter';
import { RouteRefusal } from '../router/routeRefusal';
import type { RoutingSummary } from './EndpointAdapter';
import type { GatewayDeps } from './GatewayDeps';
import type { RequestLifecycle } from './RequestLifecycle';

/**
 * Routes a request and writes the decision into its record: the features it was made from,
 * the candidates with their reasons (a refusal's too), the policy and the time the router took.
 */
export function routeRequest(
  deps: GatewayDeps,
  life: RequestLifecycle,
  summary: RoutingSummary,
  classification: Classification,
  remainingBudgetUsd: number | undefined,
): RoutePlan {
  const record = life.record;
  const started = performance.now();
  life.trace?.routingStarted();
  try {
    const input = {
      ...summary,
      classification,
      remainingBudgetUsd,
      state: life.state,
      principal: life.principal,
    };
    // Kept for the decision's recorded features, worked out when its events are written.
    record.routeInput = input;
    const plan = deps.router.route(input);
    record.policy = plan.policy;
    record.requiredCapabilities = plan.requiredCapabilities;
    record.candidates = plan.candidates;
    life.trace?.routingEnded(record);
    return plan;
  } catch (error) {
    if (error instanceof RouteRefusal) {
      record.candidates = error.candidates;
    }
    life.trace?.routingEnded(record, error);
    throw error;
  } finally {
    record.routerDecisionMs = performance.now() - started;
    deps.metrics.routerDecision.observe(record.routerDecisionMs / 1000);
  }
}
