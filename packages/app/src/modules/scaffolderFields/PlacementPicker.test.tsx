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
import {
  agentModelProfileSource,
  modelProfileSource,
  sharedCellSource,
} from './fields';
import { MultiPlacementPicker, SinglePlacementPicker } from './PlacementPicker';

const examples = path.resolve(__dirname, '../../../../../examples');
const demoCatalog: Entity[] = [
  'cells.yaml',
  'model-profiles.yaml',
  'tenants.yaml',
  'inference-deployments.yaml',
].flatMap(file =>
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

  it("does not offer a new tenant another tenant's private models, and says why", async () => {
    await renderInTestApp(
      <TestApiProvider apis={apis as any}>
        <MultiPlacementPicker
          {...fieldProps([], {
            name: 'contoso-travel',
            residencyPinned: false,
            dataClassification: 'INTERNAL',
          })}
          source={modelProfileSource}
        />
      </TestApiProvider>,
    );
    const options = await open();
    const meridian = options.find(o =>
      o.textContent?.includes('llama-3-1-70b-meridian'),
    )!;
    expect(meridian.getAttribute('aria-disabled')).toBe('true');
    expect(meridian.textContent).toContain(
      'llama-3-1-70b-meridian is private capacity of the dedicated cell "meridian-dedicated" (tenants: meridian-bank); tenant "contoso-travel" is not hosted there',
    );
    // Hosted APIs stay open to it.
    expect(
      options.filter(o => o.getAttribute('aria-disabled') !== 'true').length,
    ).toBeGreaterThan(0);
  });

  it("offers an agent its tenant's usable models, refusing a private one on a hand-edited allowlist", async () => {
    const northwind = demoCatalog.find(
      e => e.metadata.name === 'northwind-retail',
    )!;
    const edited: Entity = {
      ...northwind,
      spec: {
        ...northwind.spec,
        modelAllowlist: [
          ...(northwind.spec as any).modelAllowlist,
          'llama-3-1-70b-meridian',
        ],
      },
    };
    const editedApis = [
      [
        catalogApiRef,
        catalogApiMock({
          entities: [...demoCatalog.filter(e => e !== northwind), edited],
        }),
      ],
    ] as const;
    await renderInTestApp(
      <TestApiProvider apis={editedApis as any}>
        <MultiPlacementPicker
          {...fieldProps([], { tenant: 'tenant:default/northwind-retail' })}
          source={agentModelProfileSource}
        />
      </TestApiProvider>,
    );
    const options = await open();
    const usable = options
      .filter(o => o.getAttribute('aria-disabled') !== 'true')
      .map(o => o.textContent);
    const allowlist: string[] = (northwind.spec as any).modelAllowlist;
    expect(usable).toHaveLength(allowlist.length);
    const meridian = options.find(o =>
      o.textContent?.includes('llama-3-1-70b-meridian'),
    )!;
    expect(meridian.textContent).toContain('private capacity');
    const other = options.find(o => o.textContent?.includes('kimi-k2'))!;
    expect(other.textContent).toContain(
      "kimi-k2 is not on northwind-retail's model allowlist",
    );
  });
});
