import type { PromptCache } from '../cache/PromptCache';
import { sendRaw } from '../http/httpIo';
import type { EndpointAdapter } from './EndpointAdapter';
import type { RequestLifecycle } from './RequestLifecycle';

/**
 * Answers from the prompt cache when it holds the request's answer: no reservation, no
 * upstream, no cost; the record says `cached`. Returns whether it answered.
 */
export function answerFromCache(
  cache: PromptCache,
  life: RequestLifecycle,
  key: string,
  endpoint: Pick<EndpointAdapter<unknown>, 'ownCachedAnswer'>,
): boolean {
  const cached = cache.get(key);
  if (!cached) {
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
