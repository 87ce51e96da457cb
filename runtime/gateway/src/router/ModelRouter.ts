import {
  AUTO_MODEL,
  decideRoute,
  RouteInput as RouterInput,
  RoutePlan,
} from '@cellport/router';
import type { Principal } from '../auth/ApiKeyAuthenticator';
import type { UpstreamHealth } from '../upstream/UpstreamHealth';
import { gatewayRefusal } from './routeRefusal';

export { AUTO_MODEL, type RoutePlan };

/** The router's input, the caller being the authenticated key's principal. */
export interface RouteInput extends RouterInput {
  principal: Principal;
}

/**
 * The gateway's side of routing: the decision itself is `@cellport/router`'s pure
 * `decideRoute` (shared with the portal's replay), made under this replica's live upstream
 * health; a refusal becomes the gateway's error answer.
 */
export class ModelRouter {
  constructor(private readonly health: UpstreamHealth) {}

  route(input: RouteInput): RoutePlan {
    const plan = decideRoute(input, this.health);
    if (plan.refusal) {
      // The router's wait for open circuits is a constant; the circuits know when one lets a
      // call through again (sooner, or as late as an upstream's Retry-After asked).
      const reopen =
        plan.refusal.reason === 'circuit-open'
          ? this.soonestReopen(plan)
          : undefined;
      throw gatewayRefusal(
        reopen === undefined
          ? plan.refusal
          : {
              ...plan.refusal,
              options: { ...plan.refusal.options, retryAfterSeconds: reopen },
            },
        plan,
      );
    }
    return plan;
  }

  /** Seconds until the first of the route's open circuits lets a call through again. */
  private soonestReopen(plan: RoutePlan): number | undefined {
    let soonest: number | undefined;
    for (const candidate of plan.candidates) {
      if (candidate.dropReason !== 'circuit-open') continue;
      const ms = this.health.get(candidate.modelProfile).breaker.refusesForMs();
      soonest = soonest === undefined ? ms : Math.min(soonest, ms);
    }
    return soonest === undefined
      ? undefined
      : Math.max(1, Math.ceil(soonest / 1000));
  }
}
