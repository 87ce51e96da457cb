import type {
  DropReason,
  RoutingCandidate,
} from '@cellport/plugin-platform-common';
import { GatewayError } from '../http/GatewayError';

/** Drop reasons in the order the router checks them: a later one means a closer miss. */
const ORDER: DropReason[] = [
  'wrong-model-type',
  'not-allowed',
  'residency',
  'classification',
  'missing-capability',
  'context-too-long',
  'budget',
  'circuit-open',
];

/** A routing refusal that carries the candidates, so the RoutingDecision still shows them. */
export class RouteRefusal extends GatewayError {
  candidates: RoutingCandidate[] = [];
}

/**
 * Refusals are ordinary answers, not bugs: building them without a stack trace keeps a burst of
 * refused requests cheap (capturing a stack costs more than the routing decision itself).
 */
function refusal(
  candidates: RoutingCandidate[],
  ...args: ConstructorParameters<typeof GatewayError>
): RouteRefusal {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const error = new RouteRefusal(...args);
    error.candidates = candidates;
    return error;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The error for a request whose every candidate was dropped, from the candidate that got
 * furthest through the checks: that reason is the one the caller can act on.
 */
export function refusalFor(
  candidates: RoutingCandidate[],
  model: string,
): RouteRefusal {
  let closest: RoutingCandidate | undefined;
  for (const candidate of candidates) {
    if (
      !closest ||
      ORDER.indexOf(candidate.dropReason!) > ORDER.indexOf(closest.dropReason!)
    ) {
      closest = candidate;
    }
  }
  const detail = closest
    ? `${closest.modelProfile}: ${closest.detail}`
    : 'no candidates';
  switch (closest?.dropReason) {
    case 'wrong-model-type':
      return refusal(
        candidates,
        400,
        'wrong_model_type',
        `model "${model}" cannot serve this endpoint (${detail})`,
        'invalid-request',
        { param: 'model' },
      );
    case 'not-allowed':
      return refusal(
        candidates,
        403,
        'model_not_allowed',
        `model "${model}" is not allowed for this key (${detail})`,
        'forbidden',
        { param: 'model' },
      );
    case 'residency':
    case 'classification':
      return refusal(
        candidates,
        403,
        `${closest.dropReason}_not_allowed`,
        `no model "${model}" may serve this request (${detail})`,
        'forbidden',
        { param: 'model' },
      );
    case 'missing-capability':
    case 'context-too-long':
      return refusal(
        candidates,
        400,
        'invalid_request',
        `no model "${model}" can serve this request (${detail})`,
        'invalid-request',
        { param: 'model' },
      );
    case 'budget':
      return refusal(
        candidates,
        429,
        'budget_exhausted',
        `budget too low for model "${model}" (${detail})`,
        'budget-exhausted',
        { retryAfterSeconds: 60 },
      );
    default:
      return refusal(
        candidates,
        503,
        'upstream_unavailable',
        `every upstream for model "${model}" is unavailable (${detail})`,
        'upstream-unavailable',
        { retryAfterSeconds: 10 },
      );
  }
}
