import { createMockDirectory } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { validatePlatformEntity } from '@cellport/plugin-platform-common';
import { validateManifests } from '@cellport/plugin-platform-node';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { createPlanTenantOnboardingAction } from './planTenantOnboarding';
import { createRenderTenantOnboardingAction } from './renderTenantOnboarding';
import { examples } from './renderTenantOnboarding.examples';

describe('cellport:tenant:render examples', () => {
  it('Example 1: writes the tenant and its namespace in the shared cell', async () => {
    const workspace = createMockDirectory();
    const { render } = await runExample(examples[0], {
      actions: [
        createPlanTenantOnboardingAction({
          catalog: catalogServiceMock({ entities: demoCatalog() }),
        }),
        createRenderTenantOnboardingAction(),
      ],
      context: { workspacePath: workspace.path },
    });
    expect(render.files).toEqual([
      'catalog-info.yaml',
      'kubernetes/eu-west-shared-1/contoso-travel.yaml',
    ]);
    const read = (file: string) =>
      parseAllDocuments(
        fs.readFileSync(path.join(workspace.path, file), 'utf8'),
      ).map(d => d.toJS());
    const [tenant, ...others] = read('catalog-info.yaml');
    expect(others).toEqual([]);
    expect(validatePlatformEntity('Tenant', tenant).ok).toBe(true);
    const manifests = read(render.files[1]);
    expect(validateManifests(manifests)).toEqual([]);
    expect(manifests[0]).toMatchObject({
      kind: 'Namespace',
      metadata: { name: 'tenant-contoso-travel' },
    });
  });
});
