import { Entity } from '@backstage/catalog-model';
import { renderTestApp } from '@backstage/frontend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import platformPlugin from '@cellport/plugin-platform';
import { screen } from '@testing-library/react';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const examples = path.resolve(__dirname, '../../../examples');
const demoCatalog: Entity[] = fs
  .readdirSync(examples)
  .filter(file => file.endsWith('.yaml'))
  .flatMap(file =>
    parseAllDocuments(fs.readFileSync(path.join(examples, file), 'utf8')).map(
      doc => doc.toJS() as Entity,
    ),
  )
  .filter(entity => entity.kind !== 'Location')
  .map(entity => ({
    ...entity,
    metadata: { namespace: 'default', ...entity.metadata },
  }));

function renderAt(route: string) {
  return renderTestApp({
    features: [catalogPlugin, platformPlugin],
    apis: [[catalogApiRef, catalogApiMock({ entities: demoCatalog })]],
    initialRouteEntries: [route],
  });
}

// The whole app renders here; on a busy two-core machine that takes seconds.
jest.setTimeout(30_000);

describe('the catalog pages of the app', () => {
  it('lists the demo cells on the Cells page', async () => {
    renderAt('/cells');
    expect(
      await screen.findByText('Cells (4)', {}, { timeout: 20_000 }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Meridian Bank dedicated cell' }),
    ).toBeInTheDocument();
  });

  it.each([
    ['tenant', 'meridian-bank', 'Tenant configuration', '$40,000'],
    ['cell', 'eu-west-shared-1', 'Cell configuration', 'eks-eu-west-1-shared'],
    ['agent', 'homework-tutor', 'Agent configuration', 'cost'],
    [
      'modelprofile',
      'claude-sonnet-4',
      'ModelProfile configuration',
      '200,000 tokens',
    ],
    [
      'inferencedeployment',
      'qwen2-5-32b-helios',
      'InferenceDeployment configuration',
      '2 × NVIDIA A100 80 GB per replica',
    ],
  ])(
    'shows the %s page of %s with its configuration',
    async (kind, name, card, text) => {
      renderAt(`/catalog/default/${kind}/${name}`);
      const table = await screen.findByRole(
        'table',
        { name: card },
        { timeout: 10_000 },
      );
      expect(table).toHaveTextContent(text);
    },
  );
});
