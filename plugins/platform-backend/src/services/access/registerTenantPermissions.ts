import {
  PermissionsRegistryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  platformDeployApplyPermission,
  platformPermissions,
} from '@cellport/plugin-platform-common';
import {
  PlatformCatalog,
  platformTenantRules,
  tenantResourceRef,
} from '@cellport/plugin-platform-node';
import { TenantAccess } from './TenantAccess';

/**
 * Registers the platform's permissions: the tenant resource with its rules (so a policy can
 * answer "the tenants this user's groups own"), and the basic ones. Returns how routes ask.
 */
export function registerTenantPermissions(
  registry: PermissionsRegistryService,
  permissions: PermissionsService,
  catalog: PlatformCatalog,
): TenantAccess {
  registry.addResourceType({
    resourceRef: tenantResourceRef,
    permissions: platformPermissions.filter(p => p.type === 'resource'),
    rules: Object.values(platformTenantRules),
    getResources: async refs => {
      const { tenants } = await catalog.entities();
      return refs.map(ref => tenants.find(t => t.metadata.name === ref));
    },
  });
  // Applying deployments is the deploy driver's permission, registered by its plugin.
  registry.addPermissions(
    platformPermissions.filter(
      p => p.type === 'basic' && p !== platformDeployApplyPermission,
    ),
  );
  return new TenantAccess(
    permissions,
    catalog,
    createConditionTransformer(
      registry.getPermissionRuleset(tenantResourceRef),
    ),
  );
}
