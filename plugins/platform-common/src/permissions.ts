import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Cellport's permissions, shared by the backend that enforces them, the policy that decides
 * them and the frontend that hides what a user may not see.
 */

/** Data of one tenant: its cost and its routing decisions. Conditions filter by tenant. */
export const PLATFORM_TENANT_RESOURCE_TYPE = 'platform-tenant';

/** Read token and GPU cost, budgets and forecasts of the tenants the decision allows. */
export const platformCostReadPermission = createPermission({
  name: 'platform.cost.read',
  attributes: { action: 'read' },
  resourceType: PLATFORM_TENANT_RESOURCE_TYPE,
});

/** Read the routing decisions of the tenants the decision allows. */
export const platformDecisionsReadPermission = createPermission({
  name: 'platform.decisions.read',
  attributes: { action: 'read' },
  resourceType: PLATFORM_TENANT_RESOURCE_TYPE,
});

/** Read SLOs, error budgets, burn rates and traffic summaries (restricted like cost). */
export const platformSloReadPermission = createPermission({
  name: 'platform.slo.read',
  attributes: { action: 'read' },
  resourceType: PLATFORM_TENANT_RESOURCE_TYPE,
});

/** Read what the reconciler pushed to a cell's gateway and how that went. */
export const platformRuntimeReadPermission = createPermission({
  name: 'platform.runtime.read',
  attributes: { action: 'read' },
});

/** Trigger a reconcile of a cell's gateway, or a demo backfill. */
export const platformRuntimeManagePermission = createPermission({
  name: 'platform.runtime.manage',
  attributes: { action: 'update' },
});

/**
 * Apply a Cell's or InferenceDeployment's rendered manifests to its cluster (server-side apply,
 * then prune). Reading the plan, the rollout status and the audit log is `platform.runtime.read`.
 */
export const platformDeployApplyPermission = createPermission({
  name: 'platform.deploy.apply',
  attributes: { action: 'update' },
});

/**
 * Rotate an API key of a tenant or of one of its agents: a new key is revealed once to the
 * rotating user, the old one stays valid until its `expiresAt`. Conditions filter by tenant.
 */
export const platformApiKeyRotatePermission = createPermission({
  name: 'platform.apikey.rotate',
  attributes: { action: 'update' },
  resourceType: PLATFORM_TENANT_RESOURCE_TYPE,
});

/**
 * Self-service, checked by the scaffolder's plan steps with the initiator's credentials; the
 * policy decides each like the tenant permissions above (IS_TENANT_OWNER for non-admins).
 * Onboard a tenant: the resource is the tenant as planned (not yet in the catalog).
 */
export const platformTenantOnboardPermission = createPermission({
  name: 'platform.tenant.onboard',
  attributes: { action: 'create' },
  resourceType: PLATFORM_TENANT_RESOURCE_TYPE,
});

/** Register an agent for a tenant: the resource is that tenant. */
export const platformAgentRegisterPermission = createPermission({
  name: 'platform.agent.register',
  attributes: { action: 'create' },
  resourceType: PLATFORM_TENANT_RESOURCE_TYPE,
});

/**
 * Plan a GPU inference deployment on a dedicated or customer-VPC cell: the resource is the
 * tenant the cell is dedicated to. Shared cells are the platform's capacity and need no tenant.
 */
export const platformDedicatedCapacityUsePermission = createPermission({
  name: 'platform.cell.dedicated.use',
  attributes: { action: 'create' },
  resourceType: PLATFORM_TENANT_RESOURCE_TYPE,
});

export const platformPermissions = [
  platformCostReadPermission,
  platformDecisionsReadPermission,
  platformSloReadPermission,
  platformRuntimeReadPermission,
  platformRuntimeManagePermission,
  platformDeployApplyPermission,
  platformApiKeyRotatePermission,
  platformTenantOnboardPermission,
  platformAgentRegisterPermission,
  platformDedicatedCapacityUsePermission,
];
