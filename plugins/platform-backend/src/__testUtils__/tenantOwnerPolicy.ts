import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

/** The people of the router tests. */
export const SRE = 'user:default/sre-on-call';
/** A member of northwind-commerce, the group owning the tenant northwind-retail. */
export const NORTHWIND_DEV = 'user:default/lena.fischer';
export const OUTSIDER = 'user:default/guest-without-access';

/** The header a request of `user` carries. */
export const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

/**
 * The production policy's answers for these people: the tenant owner gets its tenants' data
 * (a conditional decision on IS_TENANT_OWNER) and no basic permission, the outsider nothing,
 * SREs and services everything.
 */
function decide(credentials: BackstageCredentials, resourceType?: string) {
  const user = (credentials.principal as { userEntityRef?: string })
    .userEntityRef;
  if (user === NORTHWIND_DEV) {
    return resourceType
      ? {
          result: AuthorizeResult.CONDITIONAL,
          pluginId: 'platform',
          resourceType,
          conditions: {
            rule: 'IS_TENANT_OWNER',
            resourceType,
            params: {
              claims: [NORTHWIND_DEV, 'group:default/northwind-commerce'],
            },
          },
        }
      : { result: AuthorizeResult.DENY };
  }
  if (user === OUTSIDER) return { result: AuthorizeResult.DENY };
  return { result: AuthorizeResult.ALLOW };
}

/** Backstage's permissions service answering as the production policy does for them. */
export function tenantOwnerPolicy() {
  return mockServices.permissions.mock({
    authorize: async (requests, { credentials }) =>
      requests.map(() => decide(credentials) as any),
    authorizeConditional: async (requests, { credentials }) =>
      requests.map(r => decide(credentials, r.permission.resourceType) as any),
  });
}
