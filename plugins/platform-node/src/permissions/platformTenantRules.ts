import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  createConditionAuthorizer,
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  PLATFORM_TENANT_RESOURCE_TYPE,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { z } from 'zod';

/** A tenant-scoped rule as a predicate: conditions are evaluated against each tenant. */
export type TenantPredicate = (tenant: TenantEntity) => boolean;

export const tenantResourceRef = createPermissionResourceRef<
  TenantEntity,
  TenantPredicate
>().with({ pluginId: 'platform', resourceType: PLATFORM_TENANT_RESOURCE_TYPE });

function normalizeRef(ref: string): string {
  return stringifyEntityRef(parseEntityRef(ref, { defaultKind: 'group' }));
}

/** The tenant's `spec.owner` is one of `claims` (a user's ownership entity refs). */
export const isTenantOwner = createPermissionRule({
  name: 'IS_TENANT_OWNER',
  description: "Allow tenants whose owner group is one of the user's groups",
  resourceRef: tenantResourceRef,
  paramsSchema: z.object({
    claims: z.array(z.string()).describe('Ownership entity refs of the user'),
  }),
  apply: (tenant, { claims }) =>
    claims.map(normalizeRef).includes(normalizeRef(tenant.spec.owner)),
  toQuery: ({ claims }) => {
    const owners = claims.map(normalizeRef);
    return (tenant: TenantEntity) =>
      owners.includes(normalizeRef(tenant.spec.owner));
  },
});

/** The tenant is one of `tenants` (names). */
export const isTenant = createPermissionRule({
  name: 'IS_TENANT',
  description: 'Allow the named tenants',
  resourceRef: tenantResourceRef,
  paramsSchema: z.object({
    tenants: z.array(z.string()).describe('Tenant names'),
  }),
  apply: (tenant, { tenants }) => tenants.includes(tenant.metadata.name),
  toQuery:
    ({ tenants }) =>
    (tenant: TenantEntity) =>
      tenants.includes(tenant.metadata.name),
});

export const platformTenantRules = { isTenantOwner, isTenant };

/** For policies: `platformTenantConditions.isTenantOwner({claims})` and the decision helper. */
export const {
  conditions: platformTenantConditions,
  createConditionalDecision: createPlatformTenantConditionalDecision,
} = createConditionExports({
  resourceRef: tenantResourceRef,
  rules: platformTenantRules,
});

/**
 * Whether a policy's decision on a tenant permission allows this tenant, evaluated where the
 * tenant is at hand: a scaffolder plan step asks `authorizeConditional` and applies the
 * conditions to the tenant it is planning, which the catalog may not have yet.
 */
export const isTenantAllowed = createConditionAuthorizer(
  Object.values(platformTenantRules),
);
