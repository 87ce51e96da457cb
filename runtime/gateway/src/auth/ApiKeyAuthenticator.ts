import { hash } from 'node:crypto';
import { GatewayError } from '../http/GatewayError';
import type {
  CompiledAgent,
  CompiledState,
  CompiledTenant,
} from '../state/CompiledState';

/**
 * The SHA-256 hex digest under which a key is stored; the key itself is never kept. One-shot
 * `hash`: every request pays this, and it makes no Hash object.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** Who is calling: the tenant a key belongs to, and its agent when the key is an agent's. */
export interface Principal {
  tenant: CompiledTenant;
  agent?: CompiledAgent;
  /** The key's display prefix, safe to log. */
  keyPrefix: string;
}

/**
 * Resolves `Authorization: Bearer <key>` to a principal by the key's hash. A rotated-out key
 * (with `expiresAt`) stays valid until then, so old and new keys overlap.
 */
export class ApiKeyAuthenticator {
  constructor(private readonly now: () => number = Date.now) {}

  authenticate(state: CompiledState, token: string | undefined): Principal {
    if (!token) {
      throw new GatewayError(
        401,
        'missing_api_key',
        'missing API key: send "Authorization: Bearer <key>"',
        'unauthorized',
      );
    }
    const key = state.keysByHash.get(hashApiKey(token));
    if (
      !key ||
      (key.expiresAtMs !== undefined && key.expiresAtMs <= this.now())
    ) {
      throw new GatewayError(
        401,
        'invalid_api_key',
        'invalid or expired API key',
        'unauthorized',
      );
    }
    const tenant = state.tenants.get(key.tenant)!;
    const agent =
      key.agent !== undefined ? state.agents.get(key.agent) : undefined;
    return { tenant, agent, keyPrefix: key.prefix };
  }
}
