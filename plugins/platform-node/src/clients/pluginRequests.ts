import { AuthService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';

/** A token for calling `targetPluginId` as this plugin itself. */
export async function ownServiceToken(
  auth: AuthService,
  targetPluginId: string,
): Promise<{ token: string }> {
  return auth.getPluginRequestToken({
    onBehalfOf: await auth.getOwnServiceCredentials(),
    targetPluginId,
  });
}

/** The answer's body; a non-2xx answer throws a ResponseError carrying its status and message. */
export async function bodyOf<T>(
  response: Omit<Response, 'json'> & { json(): Promise<T> },
): Promise<T> {
  if (!response.ok)
    throw await ResponseError.fromResponse(response as Response);
  return response.json();
}
