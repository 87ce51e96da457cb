import { Config } from '@backstage/config';
import { BackstageIdentityResponse } from '@backstage/plugin-auth-node';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
} from '@backstage/plugin-permission-node';

/**
 * Cellport's permission policy. With `cellport.permissions.allowAll` (development) every
 * request is allowed. Otherwise members of `adminGroups` may do anything and everyone else may
 * only read: creating, updating and deleting is for the admin groups.
 */
export class PlatformPermissionPolicy implements PermissionPolicy {
  static fromConfig(config: Config): PlatformPermissionPolicy {
    return new PlatformPermissionPolicy(
      config.getOptionalBoolean('cellport.permissions.allowAll') ?? false,
      config.getOptionalStringArray('cellport.permissions.adminGroups') ?? [],
    );
  }

  constructor(
    private readonly allowAll: boolean,
    private readonly adminGroups: string[],
  ) {}

  async handle(
    request: PolicyQuery,
    user?: BackstageIdentityResponse,
  ): Promise<PolicyDecision> {
    if (this.allowAll) {
      return { result: AuthorizeResult.ALLOW };
    }
    const memberships = user?.identity.ownershipEntityRefs ?? [];
    if (memberships.some(ref => this.adminGroups.includes(ref))) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (request.permission.attributes.action === 'read') {
      return { result: AuthorizeResult.ALLOW };
    }
    return { result: AuthorizeResult.DENY };
  }
}
