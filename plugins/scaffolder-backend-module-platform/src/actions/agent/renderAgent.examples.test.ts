import { createMockDirectory } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { validatePlatformEntity } from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { demoCatalog } from '../../__testUtils__/demoCatalog';
import { runExample } from '../../__testUtils__/runExample';
import { createPlanAgentAction } from './planAgent';
import { createRenderAgentAction } from './renderAgent';
import { examples } from './renderAgent.examples';

describe('cellport:agent:render examples', () => {
  it('Example 1: writes the agent the plan step checked', async () => {
    const workspace = createMockDirectory();
    await runExample(examples[0], {
      actions: [
        createPlanAgentAction({
          catalog: catalogServiceMock({ entities: demoCatalog() }),
        }),
        createRenderAgentAction(),
      ],
      context: { workspacePath: workspace.path },
    });
    const written = validatePlatformEntity(
      'Agent',
      parse(
        fs.readFileSync(path.join(workspace.path, 'catalog-info.yaml'), 'utf8'),
      ),
    );
    expect(written.ok && written.entity.metadata.name).toBe(
      'returns-assistant',
    );
  });
});
