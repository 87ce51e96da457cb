import type { RoutingCandidate } from '@cellport/plugin-platform-common';
import type { RouteRefusal as RefusalOfRouter } from '@cellport/router';
import { GatewayError } from '../http/GatewayError';

/** A routing refusal that carries the candidates, so the RoutingDecision still shows them. */
export class RouteRefusal extends GatewayError {
  candidates: RoutingCandidate[] = [];
}

/**
 * The gateway's answer to a request the router refused. Refusals are ordinary answers, not
 * bugs: building them without a stack trace keeps a burst of refused requests cheap
 * (capturing a stack costs more than the routing decision itself).
 */
export function gatewayRefusal(refusal: RefusalOfRouter): RouteRefusal {
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
    return error;
  } finally {
    Error.stackTraceLimit = limit;
  }
}
