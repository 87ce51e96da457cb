import type {
  DropReason,
  ErrorClass,
  RoutingCandidate,
} from '@cellport/plugin-platform-common';
import type { RouteInput } from './decideRoute';
import { budgetRetryAfterSeconds, maxCostAt } from './cost';
import { tooManyChoices } from './choices';

/** Why no route was left: the closest candidate's drop reason, or an unknown model. */
export type RefusalReason = DropReason | 'model-not-found';

/**
 * A request the router refuses, and how the gateway answers it (status, code, error class):
 * decided here once, so a replay reports the refusal a caller would have got.
 */
export interface RouteRefusal {
  reason: RefusalReason;
  status: number;
  code: string;
  message: string;
  errorClass: ErrorClass;
  options: { param?: string; retryAfterSeconds?: number };
  /** Every candidate with its drop reason, so the RoutingDecision still shows them. */
  candidates: RoutingCandidate[];
}

/**
 * How the caller's API names the fields a refusal can blame: a prompt longer than the context
 * blames the prompt, an output limit that leaves it no room blames the limit.
 */
export interface RequestFields {
  prompt: string;
  maxOutputTokens: string;
}

/** Chat's names (`max_completion_tokens` where the caller used it): the default. */
export const CHAT_FIELDS: RequestFields = {
  prompt: 'messages',
  maxOutputTokens: 'max_tokens',
};

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

export function modelNotFound(model: string): RouteRefusal {
  return {
    reason: 'model-not-found',
    status: 404,
    code: 'model_not_found',
    message: `model "${model}" does not exist or is not available to this key`,
    errorClass: 'not-found',
    options: { param: 'model' },
    candidates: [],
  };
}

/**
 * The refusal of a request whose every candidate was dropped, from the candidate that got
 * furthest through the checks: that reason is the one the caller can act on.
 */
export function refusalFor(
  candidates: RoutingCandidate[],
  input: RouteInput,
): RouteRefusal {
  const model = input.requestedModel;
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
  const reason = closest?.dropReason ?? 'circuit-open';
  const refusal = (
    status: number,
    code: string,
    message: string,
    errorClass: ErrorClass,
    options: RouteRefusal['options'],
  ): RouteRefusal => ({
    reason,
    status,
    code,
    message,
    errorClass,
    options,
    candidates,
  });
  switch (closest?.dropReason) {
    case 'wrong-model-type':
      return refusal(
        400,
        'wrong_model_type',
        `model "${model}" cannot serve this endpoint (${detail})`,
        'invalid-request',
        { param: 'model' },
      );
    case 'not-allowed':
      return refusal(
        403,
        'model_not_allowed',
        `model "${model}" is not allowed for this key (${detail})`,
        'forbidden',
        { param: 'model' },
      );
    case 'residency':
    case 'classification':
      return refusal(
        403,
        `${closest.dropReason}_not_allowed`,
        `no model "${model}" may serve this request (${detail})`,
        'forbidden',
        { param: 'model' },
      );
    case 'context-too-long': {
      const fields = input.fields ?? CHAT_FIELDS;
      const prompt = promptOverflows(closest.modelProfile, input);
      const param = prompt ? fields.prompt : fields.maxOutputTokens;
      return refusal(
        400,
        'context_length_exceeded',
        prompt
          ? `${param} is too long for model "${model}" (${detail})`
          : `${param} leaves the prompt no room in model "${model}" (${detail})`,
        'invalid-request',
        { param },
      );
    }
    case 'missing-capability':
      return refusal(
        400,
        'invalid_request',
        `no model "${model}" can serve this request (${detail})`,
        'invalid-request',
        {
          param: tooManyChoices(
            input,
            input.state.profiles.get(closest.modelProfile),
          )
            ? 'n'
            : 'model',
        },
      );
    case 'budget': {
      // Over the agent's per-run cap, the request itself is too large: waiting changes nothing,
      // a lower output limit may.
      // Over the budget left, it can come again when the budget does (`budgetRetryAfterSeconds`):
      // so can any request one of whose candidates only the budget left dropped.
      const runCap = input.principal.agent?.maxCostPerRunUsd;
      const overRunCap =
        runCap !== undefined &&
        candidates.every(candidate => {
          if (candidate.dropReason !== 'budget') return true;
          const profile = input.state.profiles.get(candidate.modelProfile);
          return profile !== undefined && maxCostAt(input, profile) > runCap;
        });
      if (overRunCap) {
        // 400, not 429: a client's retries of a 429 could never succeed.
        const param = (input.fields ?? CHAT_FIELDS).maxOutputTokens;
        return refusal(
          400,
          'cost_above_run_cap',
          `this request may cost more than its agent's per-run cap allows at model "${model}" (${detail}): a smaller request may fit (${param})`,
          'budget-exhausted',
          { param },
        );
      }
      return refusal(
        429,
        'budget_exhausted',
        `budget too low for model "${model}" (${detail})${
          input.budgetHeldInFlight
            ? ': requests in flight hold part of it until they settle'
            : ''
        }`,
        'budget-exhausted',
        input.nowMs === undefined
          ? {}
          : {
              retryAfterSeconds: budgetRetryAfterSeconds(
                input.budgetHeldInFlight === true,
                input.nowMs,
              ),
            },
      );
    }
    default:
      return refusal(
        503,
        'upstream_unavailable',
        `every upstream for model "${model}" is unavailable (${detail})`,
        'upstream-unavailable',
        { retryAfterSeconds: 10 },
      );
  }
}

/** Whether the prompt alone overflows the profile's context, or only with the output asked for. */
function promptOverflows(profileId: string, input: RouteInput): boolean {
  const context = input.state.profiles.get(profileId)?.contextLength ?? 0;
  return (
    input.maxOutputTokens === undefined || input.estimatedInputTokens > context
  );
}
