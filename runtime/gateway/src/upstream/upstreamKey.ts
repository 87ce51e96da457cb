import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import { anthropicMessagesUrl } from '../providers/AnthropicAdapter';

/** Each profile's key, made once: a URL parse per attempt would cost every request. */
const keys = new WeakMap<GatewayModelProfile, string>();

/**
 * The upstream a profile calls: its model at its endpoint, however the endpoint is spelled
 * (scheme and host in any case, the default port or none, trailing slashes, an Anthropic base
 * with or without `/v1`: the adapters call the same URL for all). Two profiles with one key
 * are one upstream.
 */
export function upstreamKey(profile: GatewayModelProfile): string {
  let key = keys.get(profile);
  if (key === undefined) {
    key = `${profile.upstreamModel} ${endpointKey(profile)}`;
    keys.set(profile, key);
  }
  return key;
}

function endpointKey(profile: GatewayModelProfile): string {
  const endpoint =
    profile.provider === 'anthropic'
      ? anthropicMessagesUrl(profile.endpoint)
      : profile.endpoint;
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}${url.search}`;
  } catch {
    return endpoint;
  }
}
