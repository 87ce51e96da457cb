import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../http/GatewayError';
import { bearerToken, sendJson } from '../http/httpIo';
import { usableProfiles } from '../state/CompiledState';
import type { GatewayDeps } from './GatewayDeps';
import { AUTO_MODEL } from '../router/ModelRouter';

/**
 * `GET /v1/models`: the names the caller's tenant may use (aliases and profile ids), plus
 * `auto`, which lets the router choose. Each entry is OpenAI's model object; clients ignore
 * fields they do not know, so `x-cellport.type` tells chat from embeddings models (a name
 * shared by profiles of both types lists both). `auto` serves either endpoint and has none.
 */
export function handleModels(
  deps: GatewayDeps,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const state = deps.state.current;
  if (!state) throw GatewayError.notReady();
  const principal = deps.auth.authenticate(state, bearerToken(req));
  const names = new Map<string, { provider: string; type: string }>();
  const name = (id: string, provider: string, type: string) => {
    const seen = names.get(id);
    names.set(id, {
      provider,
      type: seen && seen.type !== type ? 'chat,embeddings' : type,
    });
  };
  for (const profile of usableProfiles(state, principal.tenant)) {
    name(profile.alias, profile.provider, profile.type);
    name(profile.id, profile.provider, profile.type);
  }
  sendJson(res, 200, {
    object: 'list',
    data: [
      { id: AUTO_MODEL, object: 'model', created: 0, owned_by: 'cellport' },
      ...[...names].map(([id, { provider, type }]) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: provider,
        'x-cellport': { type },
      })),
    ],
  });
}
