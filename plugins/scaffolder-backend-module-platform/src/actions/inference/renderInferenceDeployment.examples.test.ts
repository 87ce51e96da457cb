import { createMockDirectory } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { validatePlatformEntity } from '@cellport/plugin-platform-common';
import { validateManifests } from '@cellport/plugin-platform-node';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { createPlanInferenceDeploymentAction } from './planInferenceDeployment';
import { createRenderInferenceDeploymentAction } from './renderInferenceDeployment';
import { examples } from './renderInferenceDeployment.examples';

describe('cellport:inference:render examples', () => {
  it('Example 1: writes the deployment, its RESTRICTED-cleared model profile and manifests', async () => {
    const workspace = createMockDirectory();
    const { render } = await runExample(examples[0], {
      actions: [
        createPlanInferenceDeploymentAction({
          catalog: catalogServiceMock({ entities: demoCatalog() }),
        }),
        createRenderInferenceDeploymentAction(),
      ],
      context: { workspacePath: workspace.path },
    });
    expect(render).toEqual({
      modelProfileRef: 'modelprofile:default/llama-3-1-70b-eu',
      files: ['catalog-info.yaml', 'kubernetes/llama-3-1-70b-eu.yaml'],
    });
    const read = (file: string) =>
      parseAllDocuments(
        fs.readFileSync(path.join(workspace.path, file), 'utf8'),
      ).map(d => d.toJS());
    const [deployment, profile] = read('catalog-info.yaml');
    expect(validatePlatformEntity('InferenceDeployment', deployment).ok).toBe(
      true,
    );
    const parsed = validatePlatformEntity('ModelProfile', profile);
    expect(parsed.ok && parsed.entity.spec).toMatchObject({
      region: 'eu-west-1',
      maxClassification: 'RESTRICTED',
    });
    expect(validateManifests(read(render.files[1]))).toEqual([]);
  });
});
