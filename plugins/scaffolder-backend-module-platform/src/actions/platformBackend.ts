import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';

/** What an action needs to call the platform backend as the scaffolder itself. */
export interface PlatformBackendDeps {
  discovery: DiscoveryService;
  auth: AuthService;
}

/**
 * Calls the platform backend with the scaffolder's own service token (not the user's): the
 * routes the actions use are for backend plugins only.
 */
export async function fetchPlatformBackend(
  deps: PlatformBackendDeps,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const baseUrl = await deps.discovery.getBaseUrl('platform');
  const { token } = await deps.auth.getPluginRequestToken({
    onBehalfOf: await deps.auth.getOwnServiceCredentials(),
    targetPluginId: 'platform',
  });
  return fetch(`${baseUrl}${path}`, {
    ...init,
    headers: { ...init.headers, authorization: `Bearer ${token}` },
  });
}

/** "The platform backend answered 403: <its message>", for a response that is not ok. */
export async function describeFailure(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as
    | { error?: { message?: string } }
    | undefined;
  return `The platform backend answered ${response.status}${
    body?.error?.message ? `: ${body.error.message}` : ''
  }`;
}
