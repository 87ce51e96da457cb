import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import path from 'node:path';
import { runExample } from '../../__testUtils__/runExample';
import { createPublishLocalAction } from '../publish/publishLocal';
import { createRegisterLocalFileAction } from './registerLocalFile';
import { examples } from './registerLocalFile.examples';

describe('cellport:catalog:register-file examples', () => {
  it('Example 1: registers the catalog file the publish step committed', async () => {
    const root = createMockDirectory({
      content: { 'workspace/catalog-info.yaml': 'kind: Tenant\n' },
    });
    const config = new ConfigReader({
      cellport: {
        scaffolder: { localRepositoriesDir: path.join(root.path, 'repos') },
      },
    });
    const catalog = catalogServiceMock.mock({
      addLocation: async location => ({
        location: {
          id: 'l1',
          entityRef: 'location:default/generated-l1',
          type: 'file',
          target: location.target,
        },
        entities: [
          {
            apiVersion: 'cellport.dev/v1alpha1',
            kind: 'Tenant',
            metadata: { name: 'northwind-retail' },
          },
        ],
        exists: false,
      }),
    });
    const { publish, register } = await runExample(examples[0], {
      actions: [
        createPublishLocalAction({ config }),
        createRegisterLocalFileAction({
          config,
          catalog,
          auth: mockServices.auth(),
        }),
      ],
      context: { workspacePath: path.join(root.path, 'workspace') },
    });
    // What is registered is the file the publish step committed.
    expect(fs.existsSync(publish.catalogInfoPath)).toBe(true);
    expect(catalog.addLocation).toHaveBeenCalledWith(
      { type: 'file', target: publish.catalogInfoPath },
      expect.anything(),
    );
    expect(register).toEqual({
      locationRef: `file:${publish.catalogInfoPath}`,
      entityRefs: ['tenant:default/northwind-retail'],
    });
  });
});
