import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogLocationCreatePermission } from '@backstage/plugin-catalog-common/alpha';
import {
  actionExecutePermission,
  taskCreatePermission,
  taskReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import {
  platformAgentRegisterPermission,
  platformApiKeyRotatePermission,
  platformCostReadPermission,
  platformDedicatedCapacityUsePermission,
  platformDeployApplyPermission,
  platformRuntimeManagePermission,
  platformRuntimeReadPermission,
  platformTenantOnboardPermission,
} from '@cellport/plugin-platform-common';
import { PlatformPermissionPolicy } from './PlatformPermissionPolicy';

const read = {
  type: 'basic',
  name: 'catalog.entity.read',
  attributes: { action: 'read' },
} as const;
const remove = {
  type: 'basic',
  name: 'catalog.entity.delete',
  attributes: { action: 'delete' },
} as const;

const production = new ConfigReader({
  cellport: { permissions: { adminGroups: ['group:default/platform-sre'] } },
});

function policyFor(config: ConfigReader, ownershipEntityRefs: string[]) {
  return PlatformPermissionPolicy.fromConfig(
    config,
    mockServices.userInfo({ ownershipEntityRefs }),
  );
}

const user = {
  credentials: mockCredentials.user('user:default/ada'),
  info: { userEntityRef: 'user:default/ada', ownershipEntityRefs: [] },
};

describe('PlatformPermissionPolicy', () => {
  it('allows everything when allowAll is set (development)', async () => {
    const policy = policyFor(
      new ConfigReader({ cellport: { permissions: { allowAll: true } } }),
      [],
    );
    expect((await policy.handle({ permission: remove }, user)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it('lets someone outside the admin groups read but not delete', async () => {
    const policy = policyFor(production, [
      'user:default/ada',
      'group:default/agents-team',
    ]);
    expect((await policy.handle({ permission: read }, user)).result).toBe(
      AuthorizeResult.ALLOW,
    );
    expect((await policy.handle({ permission: remove }, user)).result).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('lets members of an admin group do anything', async () => {
    const policy = policyFor(production, [
      'user:default/ada',
      'group:default/platform-sre',
    ]);
    expect((await policy.handle({ permission: remove }, user)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it('denies changes to a caller without a user outside development', async () => {
    const policy = policyFor(new ConfigReader({}), []);
    expect((await policy.handle({ permission: remove })).result).toBe(
      AuthorizeResult.DENY,
    );
  });

  it("limits a tenant's cost, decisions and SLOs to the groups that own it", async () => {
    const policy = policyFor(production, [
      'user:default/ada',
      'group:default/northwind-commerce',
    ]);
    expect(
      await policy.handle({ permission: platformCostReadPermission }, user),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'platform',
      resourceType: 'platform-tenant',
      conditions: {
        rule: 'IS_TENANT_OWNER',
        resourceType: 'platform-tenant',
        params: {
          claims: ['user:default/ada', 'group:default/northwind-commerce'],
        },
      },
    });
  });

  it('lets SREs see every tenant and manage gateways, and no one else manage them', async () => {
    const sre = policyFor(production, [
      'user:default/ada',
      'group:default/platform-sre',
    ]);
    expect(
      (await sre.handle({ permission: platformCostReadPermission }, user))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await sre.handle({ permission: platformRuntimeManagePermission }, user))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
    const member = policyFor(production, ['user:default/ada']);
    expect(
      (
        await member.handle(
          { permission: platformRuntimeManagePermission },
          user,
        )
      ).result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (await member.handle({ permission: platformRuntimeReadPermission }, user))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
  });

  it('lets only the admin groups apply deployments, and everyone in development', async () => {
    const apply = { permission: platformDeployApplyPermission };
    const sre = policyFor(production, [
      'user:default/ada',
      'group:default/platform-sre',
    ]);
    expect((await sre.handle(apply, user)).result).toBe(AuthorizeResult.ALLOW);
    const owner = policyFor(production, [
      'user:default/ada',
      'group:default/northwind-commerce',
    ]);
    expect((await owner.handle(apply, user)).result).toBe(AuthorizeResult.DENY);
    expect((await owner.handle(apply)).result).toBe(AuthorizeResult.DENY);
    const development = policyFor(
      new ConfigReader({ cellport: { permissions: { allowAll: true } } }),
      [],
    );
    expect((await development.handle(apply, user)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it("decides every tenant permission, key rotation and self-service included, by the tenant's owners", async () => {
    const claims = ['user:default/ada', 'group:default/northwind-commerce'];
    const owner = policyFor(production, claims);
    const sre = policyFor(production, [
      'user:default/ada',
      'group:default/platform-sre',
    ]);
    for (const permission of [
      platformApiKeyRotatePermission,
      platformTenantOnboardPermission,
      platformAgentRegisterPermission,
      platformDedicatedCapacityUsePermission,
    ]) {
      expect(await owner.handle({ permission }, user)).toMatchObject({
        result: AuthorizeResult.CONDITIONAL,
        conditions: { rule: 'IS_TENANT_OWNER', params: { claims } },
      });
      expect((await sre.handle({ permission }, user)).result).toBe(
        AuthorizeResult.ALLOW,
      );
    }
  });

  it('lets a member of a group run the templates, and a user in no group only read', async () => {
    const member = policyFor(production, [
      'user:default/ada',
      'group:default/northwind-commerce',
    ]);
    const loner = policyFor(production, ['user:default/ada']);
    expect(
      (await member.handle({ permission: taskCreatePermission }, user)).result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await loner.handle({ permission: taskCreatePermission }, user)).result,
    ).toBe(AuthorizeResult.DENY);
    // A location a user registered could name any tenant and carry any key: only the admin
    // groups register them; the templates do so as the scaffolder module.
    for (const someone of [member, loner]) {
      expect(
        (
          await someone.handle(
            { permission: catalogLocationCreatePermission },
            user,
          )
        ).result,
      ).toBe(AuthorizeResult.DENY);
    }
    const sre = policyFor(production, [
      'user:default/ada',
      'group:default/platform-sre',
    ]);
    expect(
      (await sre.handle({ permission: catalogLocationCreatePermission }, user))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await loner.handle({ permission: actionExecutePermission }, user))
        .result,
    ).toBe(AuthorizeResult.DENY);
    expect((await loner.handle({ permission: read }, user)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it("limits a member's runs to the templates' actions, and to their own tasks", async () => {
    const member = policyFor(production, [
      'user:default/ada',
      'group:default/northwind-commerce',
    ]);
    const execute = await member.handle(
      { permission: actionExecutePermission },
      user,
    );
    expect(execute).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'scaffolder',
      resourceType: 'scaffolder-action',
    });
    const allowed = (execute as any).conditions.anyOf.map(
      (c: any) => c.params.actionId,
    );
    expect(allowed).toContain('cellport:tenant:plan');
    expect(allowed).not.toContain('fs:delete');
    expect(
      await member.handle({ permission: taskReadPermission }, user),
    ).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: {
        rule: 'IS_TASK_OWNER',
        params: { createdBy: ['user:default/ada'] },
      },
    });
  });
});
