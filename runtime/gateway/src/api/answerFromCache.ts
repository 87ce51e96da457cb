import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { PromptCache } from '../cache/PromptCache';
import { sendRaw } from '../http/httpIo';
import type { EndpointAdapter } from './EndpointAdapter';
import type { RequestLifecycle } from './RequestLifecycle';

/**
 * Answers from the prompt cache when it holds the request's answer from a profile this
 * request may use: no reservation, no upstream, no cost; the record says `cached`. Returns
 * whether it answered. The key is the body's bytes, so the same body sent with a higher data
 * class, or by an agent that needs a capability, finds the answer of a profile its route
 * dropped: that is a miss, and the answer of a profile it may use replaces it.
 */
export function answerFromCache(
  cache: PromptCache,
  life: RequestLifecycle,
  key: string,
  endpoint: Pick<EndpointAdapter<unknown>, 'ownCachedAnswer'>,
  attempts: readonly GatewayModelProfile[],
): boolean {
  const cached = cache.get(key);
  if (!cached || !attempts.some(({ id }) => id === cached.modelProfile)) {
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
