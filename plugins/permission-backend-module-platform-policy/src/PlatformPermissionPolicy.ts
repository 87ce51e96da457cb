import { UserInfoService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  isPermission,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PLATFORM_TENANT_RESOURCE_TYPE,
  platformDeployApplyPermission,
  platformRuntimeManagePermission,
} from '@cellport/plugin-platform-common';
import {
  createPlatformTenantConditionalDecision,
  platformTenantConditions,
} from '@cellport/plugin-platform-node';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';

/**
 * Cellport's permission policy. With `cellport.permissions.allowAll` (development) every
 * request is allowed. Otherwise members of `adminGroups` (the SREs) may do anything. Everyone
 * else may read the catalog and the platform's runtime state, and sees the cost, routing
 * decisions and SLOs of the tenants their groups own, and no other tenant's; creating,
 * updating, deleting, managing gateways and applying deployments to clusters is for the admin
 * groups.
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
    if (
      isResourcePermission(request.permission, PLATFORM_TENANT_RESOURCE_TYPE)
    ) {
      return createPlatformTenantConditionalDecision(
        request.permission,
        platformTenantConditions.isTenantOwner({ claims: memberships }),
      );
    }
    if (
      isPermission(request.permission, platformRuntimeManagePermission) ||
      isPermission(request.permission, platformDeployApplyPermission)
    ) {
      return { result: AuthorizeResult.DENY };
    }
    if (request.permission.attributes.action === 'read') {
      return { result: AuthorizeResult.ALLOW };
    }
    return { result: AuthorizeResult.DENY };
  }
}
