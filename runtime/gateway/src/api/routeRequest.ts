import type { Classification } from '@cellport/plugin-platform-common';
import type { RoutePlan } from '../router/ModelRouter';
import { RouteRefusal } from '../router/routeRefusal';
import type { RoutingSummary } from './EndpointAdapter';
import type { GatewayDeps } from './GatewayDeps';
import type { RequestLifecycle } from './RequestLifecycle';

/** The tenant's budget left as this replica last saw it, and whether that may refuse alone. */
export interface RemainingBudget {
  usd: number;
  refusesAlone: boolean;
  /** This replica's requests in flight hold part of it (`Limiter.holdsReservations`). */
  heldInFlight: boolean;
}

/**
 * Routes a request and writes the decision into its record: the features it was made from,
 * the candidates with their reasons (a refusal's too), the policy and the time the router took.
 * A budget refusal by a stale remaining-budget hint is routed again without it: the
 * reservation at the counters then decides.
 */
export function routeRequest(
  deps: GatewayDeps,
  life: RequestLifecycle,
  summary: RoutingSummary,
  classification: Classification,
  remaining: RemainingBudget | undefined,
): RoutePlan {
  const record = life.record;
  const started = performance.now();
  life.trace?.routingStarted();
  try {
    const input = {
      ...summary,
      classification,
      remainingBudgetUsd: remaining?.usd,
      budgetHeldInFlight: remaining?.heldInFlight,
      nowMs: record.startedAtMs,
      state: life.state,
      principal: life.principal,
    };
    // Kept for the decision's recorded features, worked out when its events are written.
    record.routeInput = input;
    let plan: RoutePlan;
    try {
      plan = deps.router.route(input);
    } catch (error) {
      // Any candidate the budget dropped may have been dropped by the hint alone, whatever
      // reason the refusal names (an open circuit elsewhere ranks after the budget).
      if (
        !remaining ||
        remaining.refusesAlone ||
        !(error instanceof RouteRefusal) ||
        !error.candidates.some(candidate => candidate.dropReason === 'budget')
      ) {
        throw error;
      }
      input.remainingBudgetUsd = undefined;
      plan = deps.router.route(input);
    }
    record.policy = plan.policy;
    record.requiredCapabilities = plan.requiredCapabilities;
    record.candidates = plan.candidates;
    life.trace?.routingEnded(record);
    return plan;
  } catch (error) {
    if (error instanceof RouteRefusal) {
      record.policy = error.policy;
      record.requiredCapabilities = error.requiredCapabilities;
      record.candidates = error.candidates;
    }
    life.trace?.routingEnded(record, error);
    throw error;
  } finally {
    record.routerDecisionMs = performance.now() - started;
    deps.metrics.routerDecision.observe(record.routerDecisionMs / 1000);
  }
}
