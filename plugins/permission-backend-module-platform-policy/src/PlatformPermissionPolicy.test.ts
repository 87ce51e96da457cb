import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { PlatformPermissionPolicy } from './PlatformPermissionPolicy';

const read = { type: 'basic', name: 'catalog.entity.read', attributes: { action: 'read' } } as const;
const remove = {
  type: 'basic',
  name: 'catalog.entity.delete',
  attributes: { action: 'delete' },
} as const;

function user(...ownershipEntityRefs: string[]) {
  return {
    token: 'unused',
    identity: {
      type: 'user' as const,
      userEntityRef: 'user:default/ada',
      ownershipEntityRefs,
    },
  };
}

describe('PlatformPermissionPolicy', () => {
  it('allows everything when allowAll is set (development)', async () => {
    const policy = PlatformPermissionPolicy.fromConfig(
      new ConfigReader({ cellport: { permissions: { allowAll: true } } }),
    );
    await expect(
      policy.handle({ permission: remove }, user('user:default/ada')),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('lets non-admins read but not delete', async () => {
    const policy = PlatformPermissionPolicy.fromConfig(
      new ConfigReader({
        cellport: { permissions: { adminGroups: ['group:default/platform-sre'] } },
      }),
    );
    const ada = user('user:default/ada', 'group:default/agents-team');
    expect((await policy.handle({ permission: read }, ada)).result).toBe(
      AuthorizeResult.ALLOW,
    );
    expect((await policy.handle({ permission: remove }, ada)).result).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('lets members of an admin group do anything', async () => {
    const policy = PlatformPermissionPolicy.fromConfig(
      new ConfigReader({
        cellport: { permissions: { adminGroups: ['group:default/platform-sre'] } },
      }),
    );
    const sre = user('user:default/grace', 'group:default/platform-sre');
    expect((await policy.handle({ permission: remove }, sre)).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it('denies changes to an anonymous caller outside development', async () => {
    const policy = PlatformPermissionPolicy.fromConfig(new ConfigReader({}));
    expect((await policy.handle({ permission: remove })).result).toBe(
      AuthorizeResult.DENY,
    );
  });
});
