import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createRegisterLocalFileAction } from './registerLocalFile';

describe('cellport:catalog:register-file', () => {
  const catalog = catalogServiceMock.mock();
  catalog.addLocation.mockResolvedValue({
    location: {
      id: 'l1',
      entityRef: 'location:default/generated-l1',
      type: 'file',
      target: '/srv/repos/tenant-acme/catalog-info.yaml',
    },
    entities: [
      {
        apiVersion: 'cellport.dev/v1alpha1',
        kind: 'Tenant',
        metadata: { name: 'acme' },
      },
    ],
    exists: false,
  });
  const action = createRegisterLocalFileAction({
    config: new ConfigReader({
      cellport: { scaffolder: { localRepositoriesDir: '/srv/repos' } },
    }),
    catalog,
    auth: mockServices.auth({ pluginId: 'scaffolder' }),
  });

  async function register(catalogInfoPath: string, options: object = {}) {
    // The mock context takes no isDryRun, so options are laid over it.
    const ctx = {
      ...createMockActionContext({ input: { catalogInfoPath } }),
      ...options,
    };
    await action.handler(ctx as any);
    return Object.fromEntries((ctx.output as jest.Mock).mock.calls);
  }

  it('registers a file of a local repository, as the scaffolder module rather than the user', async () => {
    const out = await register('/srv/repos/tenant-acme/catalog-info.yaml');
    // Users outside the admin groups may not register locations themselves.
    expect(catalog.addLocation).toHaveBeenCalledWith(
      { type: 'file', target: '/srv/repos/tenant-acme/catalog-info.yaml' },
      {
        credentials: expect.objectContaining({
          principal: expect.objectContaining({
            type: 'service',
            subject: 'plugin:scaffolder',
          }),
        }),
      },
    );
    expect(out.entityRefs).toEqual(['tenant:default/acme']);
  });

  it('registers nothing in a dry run', async () => {
    catalog.addLocation.mockClear();
    const out = await register('/srv/repos/tenant-acme/catalog-info.yaml', {
      isDryRun: true,
    });
    expect(out.entityRefs).toEqual([]);
    expect(catalog.addLocation).not.toHaveBeenCalled();
  });

  it('refuses files outside the local repositories directory', async () => {
    await expect(register('/srv/repos/../etc/passwd')).rejects.toThrow(
      'catalogInfoPath: /srv/repos/../etc/passwd is not inside the local repositories directory /srv/repos',
    );
  });
});
