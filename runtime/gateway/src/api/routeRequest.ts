import type { Classification } from '@cellport/plugin-platform-common';
import type { RoutePlan } from '../router/ModelRouter';
import { RouteRefusal } from '../router/routeRefusal';
import type { RoutingSummary } from './EndpointAdapter';
import type { GatewayDeps } from './GatewayDeps';
import type { RequestLifecycle } from './RequestLifecycle';

/**
 * Routes a request and writes the decision into its record: the candidates with their
 * reasons (a refusal's too), the policy and the time the router took.
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
  try {
    const plan = deps.router.route({
      ...summary,
      classification,
      remainingBudgetUsd,
      state: life.state,
      principal: life.principal,
    });
    record.policy = plan.policy;
    record.requiredCapabilities = plan.requiredCapabilities;
    record.candidates = plan.candidates;
    return plan;
  } catch (error) {
    if (error instanceof RouteRefusal) {
      record.candidates = error.candidates;
    }
    throw error;
  } finally {
    record.routerDecisionMs = performance.now() - started;
  }
}
