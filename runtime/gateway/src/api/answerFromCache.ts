import type {
  DropReason,
  RoutingCandidate,
} from '@cellport/plugin-platform-common';
import type { PromptCache } from '../cache/PromptCache';
import { sendRaw } from '../http/httpIo';
import type { EndpointAdapter } from './EndpointAdapter';
import type { RequestLifecycle } from './RequestLifecycle';

/**
 * Drops that say nothing of whether a request may use a profile's answer: a hit calls no
 * upstream and costs nothing, so an open circuit or a budget does not stand in its way.
 */
const RUNTIME_DROPS: ReadonlySet<DropReason | undefined> = new Set([
  'circuit-open',
  'budget',
]);

/**
 * Answers from the prompt cache when it holds the request's answer from a profile this
 * request may use: no reservation, no upstream, no cost; the record says `cached`. Returns
 * whether it answered. The key is the body's bytes, so the same body sent with a higher data
 * class, or by an agent that needs a capability, finds the answer of a profile its route
 * dropped at a boundary: that is a miss, and the answer of a profile it may use replaces it.
 */
export function answerFromCache(
  cache: PromptCache,
  life: RequestLifecycle,
  key: string,
  endpoint: Pick<EndpointAdapter<unknown>, 'ownCachedAnswer'>,
  candidates: readonly RoutingCandidate[],
): boolean {
  const cached = cache.get(key);
  if (
    !cached ||
    !candidates.some(
      candidate =>
        candidate.modelProfile === cached.modelProfile &&
        (candidate.kept || RUNTIME_DROPS.has(candidate.dropReason)),
    )
  ) {
    return false;
  }
  const record = life.record;
  record.cached = true;
  record.chosen = cached.modelProfile;
  record.provider = cached.provider;
  record.inputTokens = cached.usage.inputTokens;
  record.outputTokens = cached.usage.outputTokens;
  const body =
    endpoint.ownCachedAnswer?.(cached.body, life.requestId) ?? cached.body;
  sendRaw(life.res, 200, body, {
    'x-request-id': life.requestId,
    'x-cellport-cache': 'hit',
  });
  return true;
}
