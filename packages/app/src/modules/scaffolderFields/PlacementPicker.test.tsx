import { Entity } from '@backstage/catalog-model';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { modelProfileSource, sharedCellSource } from './fields';
import { MultiPlacementPicker, SinglePlacementPicker } from './PlacementPicker';

const examples = path.resolve(__dirname, '../../../../../examples');
const demoCatalog: Entity[] = ['cells.yaml', 'model-profiles.yaml'].flatMap(
  file =>
    parseAllDocuments(fs.readFileSync(path.join(examples, file), 'utf8')).map(
      doc => {
        const entity = doc.toJS() as Entity;
        return {
          ...entity,
          metadata: { namespace: 'default', ...entity.metadata },
        };
      },
    ),
);

function fieldProps(formData: unknown, answers: object, onChange = jest.fn()) {
  return {
    formData,
    onChange,
    formContext: { formData: answers },
    schema: { title: 'Choice', description: 'Pick one' },
    required: true,
    rawErrors: [],
  } as any;
}

async function open(field = 'Choice') {
  await userEvent.click(screen.getByRole('textbox', { name: field }));
  return screen.findAllByRole('option');
}

describe('the placement pickers', () => {
  const apis = [
    [catalogApiRef, catalogApiMock({ entities: demoCatalog })],
  ] as const;

  it('offers the shared cells of the home region and says why the others are refused', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={apis as any}>
        <SinglePlacementPicker
          {...fieldProps(undefined, { region: 'eu-west-1' }, onChange)}
          source={sharedCellSource}
        />
      </TestApiProvider>,
    );
    const options = await open();
    expect(options.map(o => o.textContent)).toEqual([
      expect.stringMatching(
        /^EU West shared cell 1eu-west-1 · \d+ of 40 tenants$/,
      ),
      expect.stringContaining(
        "us-east-shared-1 is in us-east-1, not in the tenant's region eu-west-1",
      ),
    ]);
    expect(options[1]).toHaveAttribute('aria-disabled', 'true');
    await userEvent.click(options[0]);
    expect(onChange).toHaveBeenCalledWith('cell:default/eu-west-shared-1');
  });

  it('says what to do when no shared cell can take the tenant', async () => {
    await renderInTestApp(
      <TestApiProvider apis={apis as any}>
        <SinglePlacementPicker
          {...fieldProps(undefined, { region: 'ap-south-1' })}
          source={sharedCellSource}
        />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText(/No shared cell in this region has room/),
    ).toBeInTheDocument();
  });

  it('offers only the models inside the pinned residency and classification', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={apis as any}>
        <MultiPlacementPicker
          {...fieldProps(
            [],
            {
              residencyPinned: true,
              residencyRegions: ['eu-west-1', 'swedencentral'],
              dataClassification: 'INTERNAL',
            },
            onChange,
          )}
          source={modelProfileSource}
        />
      </TestApiProvider>,
    );
    const options = await open();
    const open_ = options.filter(
      o => o.getAttribute('aria-disabled') !== 'true',
    );
    const refused = options.filter(
      o => o.getAttribute('aria-disabled') === 'true',
    );
    expect(open_.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const option of refused) {
      expect(option.textContent).toMatch(
        /outside the pinned residency|may receive up to/,
      );
    }
    await userEvent.click(within(open_[0]).getByText(/./, { selector: 'p' }));
    expect(onChange).toHaveBeenCalledWith([
      expect.stringMatching(/^modelprofile:default\//),
    ]);
  });
});
