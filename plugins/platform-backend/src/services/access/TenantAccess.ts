import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import {
  PlatformCatalog,
  TenantPredicate,
} from '@cellport/plugin-platform-node';

/**
 * Which tenants' data a caller may read: all of them, or the list a conditional decision
 * allows (e.g. the tenants whose owner group the user belongs to).
 */
export type TenantScope = { all: true } | { all: false; tenants: string[] };

/**
 * Turns a permission decision into a tenant scope. Routes then filter by that scope, so a
 * list holds only allowed tenants' rows, and asking for another tenant explicitly is a 403.
 */
export class TenantAccess {
  constructor(
    private readonly permissions: PermissionsService,
    private readonly catalog: PlatformCatalog,
    private readonly transformConditions: ConditionTransformer<TenantPredicate>,
  ) {}

  async scope(
    permission: ResourcePermission<'platform-tenant'>,
    credentials: BackstageCredentials,
  ): Promise<TenantScope> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return { all: true };
    if (decision.result !== AuthorizeResult.CONDITIONAL) {
      throw new NotAllowedError(`Not allowed: ${permission.name}`);
    }
    const predicate = evaluate(this.transformConditions(decision.conditions));
    const { tenants } = await this.catalog.entities();
    return {
      all: false,
      tenants: tenants.filter(predicate).map(t => t.metadata.name),
    };
  }

  /**
   * The tenant filter for a query: undefined for everything, or the allowed tenants. A
   * tenant asked for explicitly must be among them.
   */
  static restrict(
    scope: TenantScope,
    requestedTenant?: string,
  ): string[] | undefined {
    if (scope.all) return undefined;
    if (
      requestedTenant !== undefined &&
      !scope.tenants.includes(requestedTenant)
    ) {
      throw new NotAllowedError(
        `Not allowed to read tenant "${requestedTenant}"`,
      );
    }
    return scope.tenants;
  }
}

function evaluate(
  criteria: PermissionCriteria<TenantPredicate>,
): TenantPredicate {
  if ('allOf' in criteria) {
    const parts = criteria.allOf.map(evaluate);
    return tenant => parts.every(p => p(tenant));
  }
  if ('anyOf' in criteria) {
    const parts = criteria.anyOf.map(evaluate);
    return tenant => parts.some(p => p(tenant));
  }
  if ('not' in criteria) {
    const inner = evaluate(criteria.not);
    return tenant => !inner(tenant);
  }
  return criteria;
}
