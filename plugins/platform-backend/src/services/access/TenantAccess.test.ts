import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { platformCostReadPermission } from '@cellport/plugin-platform-common';
import {
  platformTenantRules,
  TenantPredicate,
} from '@cellport/plugin-platform-node';
import { TenantAccess } from './TenantAccess';

function accessWith(conditions: unknown) {
  const permissions = mockServices.permissions.mock({
    authorizeConditional: async () => [
      {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'platform',
        resourceType: 'platform-tenant',
        conditions: conditions as any,
      },
    ],
  });
  return new TenantAccess(
    permissions,
    testPlatformCatalog(),
    createConditionTransformer<TenantPredicate, any>(
      Object.values(platformTenantRules),
    ),
  );
}

describe('TenantAccess', () => {
  const credentials = mockCredentials.user('user:default/lena.fischer');

  it('resolves owner conditions to the tenants the user owns', async () => {
    const access = accessWith({
      rule: 'IS_TENANT_OWNER',
      resourceType: 'platform-tenant',
      params: { claims: ['group:default/northwind-commerce'] },
    });
    const scope = await access.scope(platformCostReadPermission, credentials);
    expect(scope).toEqual({ all: false, tenants: ['northwind-retail'] });
    expect(TenantAccess.restrict(scope)).toEqual(['northwind-retail']);
    expect(() => TenantAccess.restrict(scope, 'brightpath-edu')).toThrow(
      /Not allowed/,
    );
  });

  it('evaluates anyOf, allOf and not', async () => {
    const isTenant = (tenants: string[]) => ({
      rule: 'IS_TENANT',
      resourceType: 'platform-tenant',
      params: { tenants },
    });
    const access = accessWith({
      allOf: [
        {
          anyOf: [isTenant(['brightpath-edu']), isTenant(['northwind-retail'])],
        },
        { not: isTenant(['northwind-retail']) },
      ],
    });
    expect(await access.scope(platformCostReadPermission, credentials)).toEqual(
      {
        all: false,
        tenants: ['brightpath-edu'],
      },
    );
  });

  it('allows everything on ALLOW and refuses on DENY', async () => {
    const catalog = testPlatformCatalog();
    const transformer = createConditionTransformer<TenantPredicate, any>(
      Object.values(platformTenantRules),
    );
    const allow = new TenantAccess(
      mockServices.permissions.mock({
        authorizeConditional: async () => [{ result: AuthorizeResult.ALLOW }],
      }),
      catalog,
      transformer,
    );
    expect(await allow.scope(platformCostReadPermission, credentials)).toEqual({
      all: true,
    });
    expect(TenantAccess.restrict({ all: true }, 'anyone')).toBeUndefined();
    const deny = new TenantAccess(
      mockServices.permissions.mock({
        authorizeConditional: async () => [{ result: AuthorizeResult.DENY }],
      }),
      catalog,
      transformer,
    );
    await expect(
      deny.scope(platformCostReadPermission, credentials),
    ).rejects.toThrow(/platform.cost.read/);
  });
});
