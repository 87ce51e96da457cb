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
import { isGroupMember, selfServiceDecision } from './selfService';

/**
 * Cellport's permission policy. With `cellport.permissions.allowAll` (development) every
 * request is allowed. Otherwise members of `adminGroups` (the SREs) may do anything. Everyone
 * else may read the catalog and the platform's runtime state; every tenant permission (cost,
 * decisions, SLOs, key rotation, onboarding, agent registration, use of a dedicated cell) is
 * theirs only for the tenants their groups own (IS_TENANT_OWNER). A member of a group may run
 * the self-service templates (`selfService.ts`); managing gateways, applying deployments to
 * clusters, and any other creating, updating or deleting is for the admin groups.
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
    const selfService = selfServiceDecision(request.permission, {
      userEntityRef: user?.info.userEntityRef,
      groupMember: isGroupMember(memberships),
    });
    if (selfService) return selfService;
    if (request.permission.attributes.action === 'read') {
      return { result: AuthorizeResult.ALLOW };
    }
    return { result: AuthorizeResult.DENY };
  }
}
