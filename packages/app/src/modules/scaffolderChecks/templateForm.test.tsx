import { Entity } from '@backstage/catalog-model';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { Stepper } from '@backstage/plugin-scaffolder-react/alpha';
import { fireEvent, screen } from '@testing-library/react';
import fs from 'node:fs';
import type { ComponentProps } from 'react';
import path from 'node:path';
import { parse } from 'yaml';
import { UniqueNameField } from './CheckedFields';
import { validateUniqueName } from './fields';

const repoRoot = path.resolve(__dirname, '../../../../..');
const template = parse(
  fs.readFileSync(
    path.join(repoRoot, 'templates/inference-deployment/template.yaml'),
    'utf8',
  ),
);
const profile: Entity = {
  apiVersion: 'cellport.dev/v1alpha1',
  kind: 'ModelProfile',
  metadata: { name: 'gpt-4o-mini', namespace: 'default' },
  spec: {},
};

/** The template's name field alone, in the scaffolder's own form, with Cellport's field. */
async function renderNameStep() {
  await renderInTestApp(
    <TestApiProvider
      apis={[[catalogApiRef, catalogApiMock({ entities: [profile] })]] as any}
    >
      <Stepper
        manifest={{
          title: 'Plan',
          steps: [
            {
              title: 'Model and placement',
              schema: {
                required: ['name'],
                properties: {
                  name: template.spec.parameters[0].properties.name,
                },
              },
            },
          ],
        }}
        extensions={[
          {
            name: 'CellportUniqueName',
            component: UniqueNameField,
            validation: validateUniqueName,
          } as any,
        ]}
        onCreate={jest.fn()}
      />
    </TestApiProvider>,
  );
}

async function submitName(name: string) {
  fireEvent.change(screen.getByRole('textbox', { name: /Name/ }), {
    target: { value: name },
  });
  fireEvent.click(screen.getByRole('button', { name: 'Review' }));
}

describe("the inference template's name, in the scaffolder's form", () => {
  it('says what a name may hold in words, not as a regular expression', async () => {
    await renderNameStep();
    await submitName('Llama_70B');
    expect(
      (
        await screen.findAllByText(
          /lower-case letters, digits and dashes, starting and ending with a letter or digit/,
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(document.body.textContent).not.toContain('must match pattern');
  });

  it('refuses a name the catalog already has before the review step', async () => {
    await renderNameStep();
    await submitName('gpt-4o-mini');
    expect(
      (
        await screen.findAllByText(
          /"gpt-4o-mini" is already used by a ModelProfile in the catalog/,
        )
      ).length,
    ).toBeGreaterThan(0);
    await submitName('llama-3-1-70b-risk');
    expect(
      await screen.findByRole('button', { name: 'Create' }),
    ).toBeInTheDocument();
  });
});

type StepSchema = ComponentProps<
  typeof Stepper
>['manifest']['steps'][number]['schema'];

/** The scaffolder's own form with one step of these fields, as a template's page renders it. */
function renderStep(title: string, properties: StepSchema['properties']) {
  return renderInTestApp(
    <Stepper
      manifest={{ title: 'Plan', steps: [{ title, schema: { properties } }] }}
      extensions={[]}
      onCreate={jest.fn()}
    />,
  );
}

describe("the templates' review step", () => {
  it('shows the label a choice was made by, not its raw value', async () => {
    const gpu = template.spec.parameters
      .map((step: any) => step.properties?.gpuType)
      .find(Boolean);
    await renderStep('GPUs', { gpuType: gpu });
    fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    await screen.findByRole('button', { name: 'Create' });
    const label = gpu['ui:enumNames'][gpu.enum.indexOf(gpu.default)];
    expect(label).not.toBe(gpu.default);
    expect(screen.getByText(label)).toBeInTheDocument();
    expect(screen.queryByText(gpu.default)).toBeNull();
  });

  it('shows a yes-or-no answer in words, from a checkbox in the form', async () => {
    const tenant = parse(
      fs.readFileSync(
        path.join(repoRoot, 'templates/tenant-cell/template.yaml'),
        'utf8',
      ),
    );
    const field = (name: string) =>
      tenant.spec.parameters
        .map((step: any) => step.properties?.[name])
        .find(Boolean);
    await renderStep('Tenant', {
      residencyPinned: field('residencyPinned'),
      promptCache: field('promptCache'),
    });
    // Still one checkbox each in the form.
    fireEvent.click(
      screen.getByRole('checkbox', {
        name: /Allow exact-match prompt caching/,
      }),
    );
    expect(
      screen.getByRole('checkbox', { name: /Pin data residency/ }),
    ).not.toBeChecked();
    fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    await screen.findByRole('button', { name: 'Create' });
    expect(
      screen.getByText(
        'Yes, identical requests may be answered from the cache',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText("No, any region the tenant's models are in"),
    ).toBeInTheDocument();
    expect(document.body.textContent).not.toMatch(/✅|❌/);
  });
});
