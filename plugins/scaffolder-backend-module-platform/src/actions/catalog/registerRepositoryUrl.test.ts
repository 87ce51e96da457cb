import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { runExample } from '../../__testUtils__/runExample';
import { createRegisterRepositoryUrlAction } from './registerRepositoryUrl';
import { examples } from './registerRepositoryUrl.examples';

describe('cellport:catalog:register-url', () => {
  const config = new ConfigReader({
    integrations: { github: [{ host: 'github.com' }] },
  });
  const catalog = catalogServiceMock.mock({
    addLocation: async location => ({
      location: {
        id: 'l1',
        entityRef: 'location:default/generated-l1',
        type: 'url',
        target: location.target,
      },
      entities: [
        {
          apiVersion: 'cellport.dev/v1alpha1',
          kind: 'Agent',
          metadata: { name: 'checkout-assistant' },
        },
      ],
      exists: false,
    }),
  });
  const action = createRegisterRepositoryUrlAction({
    config,
    catalog,
    auth: mockServices.auth({ pluginId: 'scaffolder' }),
  });

  it('Example 1: registers the published catalog file as the scaffolder module, not as the user', async () => {
    const { register } = await runExample(examples[0], { actions: [action] });
    expect(register).toEqual({
      catalogInfoUrl:
        'https://github.com/northwind/agent-checkout-assistant/tree/main/catalog-info.yaml',
      entityRefs: ['agent:default/checkout-assistant'],
    });
    expect(catalog.addLocation).toHaveBeenCalledWith(
      {
        type: 'url',
        target:
          'https://github.com/northwind/agent-checkout-assistant/tree/main/catalog-info.yaml',
      },
      {
        credentials: expect.objectContaining({
          principal: expect.objectContaining({
            type: 'service',
            subject: 'plugin:scaffolder',
          }),
        }),
      },
    );
  });

  it('refuses a host without an integration, naming the field', async () => {
    const ctx = createMockActionContext({
      input: {
        repoContentsUrl: 'https://git.example.net/acme/agent/blob/main',
        catalogInfoPath: '/catalog-info.yaml',
      },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      'repoContentsUrl: no integration is configured for git.example.net, so the catalog could not read it',
    );
  });
});
