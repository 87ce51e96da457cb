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
    if (plan.refusal) throw gatewayRefusal(plan.refusal, plan);
    return plan;
  }
}
