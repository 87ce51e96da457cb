import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../http/GatewayError';
import { bearerToken, sendJson } from '../http/httpIo';
import { usableProfiles } from '../state/CompiledState';
import type { GatewayDeps } from './GatewayDeps';
import { AUTO_MODEL } from '../router/ModelRouter';

/**
 * `GET /v1/models`: the names the caller's tenant may use (aliases and profile ids), plus
 * `auto`, which lets the router choose.
 */
export function handleModels(
  deps: GatewayDeps,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const state = deps.state.current;
  if (!state) {
    throw new GatewayError(
      503,
      'not_ready',
      'gateway has no desired state yet',
      'internal',
    );
  }
  const principal = deps.auth.authenticate(state, bearerToken(req));
  const names = new Map<string, string>();
  for (const profile of usableProfiles(state, principal.tenant)) {
    names.set(profile.alias, profile.provider);
    names.set(profile.id, profile.provider);
  }
  sendJson(res, 200, {
    object: 'list',
    data: [
      { id: AUTO_MODEL, object: 'model', created: 0, owned_by: 'cellport' },
      ...[...names].map(([id, provider]) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: provider,
      })),
    ],
  });
}
