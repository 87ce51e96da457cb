import type {
  Capability,
  RoutingCandidate,
  RoutingPolicy,
} from '@cellport/plugin-platform-common';
import type {
  RoutePlan,
  RouteRefusal as RefusalOfRouter,
} from '@cellport/router';
import { GatewayError } from '../http/GatewayError';

/**
 * A routing refusal that carries what the route was made under (the candidates, the agent's
 * policy, the capabilities required), so the RoutingDecision still shows them.
 */
export class RouteRefusal extends GatewayError {
  candidates: RoutingCandidate[] = [];
  policy: RoutingPolicy = 'balanced';
  requiredCapabilities: Capability[] = [];
}

/**
 * The gateway's answer to a request the router refused. Refusals are ordinary answers, not
 * bugs: building them without a stack trace keeps a burst of refused requests cheap
 * (capturing a stack costs more than the routing decision itself).
 */
export function gatewayRefusal(
  refusal: RefusalOfRouter,
  plan: Pick<RoutePlan, 'policy' | 'requiredCapabilities'>,
): RouteRefusal {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const error = new RouteRefusal(
      refusal.status,
      refusal.code,
      refusal.message,
      refusal.errorClass,
      refusal.options,
    );
    error.candidates = refusal.candidates;
    error.policy = plan.policy;
    error.requiredCapabilities = plan.requiredCapabilities;
    return error;
  } finally {
    Error.stackTraceLimit = limit;
  }
}
