import { UserInfoService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';

/**
 * Cellport's permission policy. With `cellport.permissions.allowAll` (development) every
 * request is allowed. Otherwise members of `adminGroups` may do anything and everyone else may
 * only read: creating, updating and deleting is for the admin groups.
 */
export class PlatformPermissionPolicy implements PermissionPolicy {
  static fromConfig(
    config: Config,
    userInfo: UserInfoService,
  ): PlatformPermissionPolicy {
    return new PlatformPermissionPolicy(
      config.getOptionalBoolean('cellport.permissions.allowAll') ?? false,
      config.getOptionalStringArray('cellport.permissions.adminGroups') ?? [],
      userInfo,
    );
  }

  constructor(
    private readonly allowAll: boolean,
    private readonly adminGroups: string[],
    private readonly userInfo: UserInfoService,
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (this.allowAll) {
      return { result: AuthorizeResult.ALLOW };
    }
    const memberships = user
      ? (await this.userInfo.getUserInfo(user.credentials)).ownershipEntityRefs
      : [];
    if (memberships.some(ref => this.adminGroups.includes(ref))) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (request.permission.attributes.action === 'read') {
      return { result: AuthorizeResult.ALLOW };
    }
    return { result: AuthorizeResult.DENY };
  }
}
