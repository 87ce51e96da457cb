import type { GatewayModelProfile } from '@cellport/plugin-platform-common';

/**
 * Anthropic's Messages API answers one completion: a request for `n` choices would silently
 * get one from it, so such a profile cannot serve it.
 */
export function tooManyChoices(
  request: { choices?: number },
  profile: Pick<GatewayModelProfile, 'provider'> | undefined,
): boolean {
  return (request.choices ?? 1) > 1 && profile?.provider === 'anthropic';
}
