import { Entity } from '@backstage/catalog-model';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { fireEvent, screen } from '@testing-library/react';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { InferenceNumberField } from './CheckedFields';
import { validateInferenceNumber, validateUniqueName } from './fields';
import { inferenceCheck } from './inferenceChecks';

const examples = path.resolve(__dirname, '../../../../../examples');
const demoCatalog: Entity[] = fs
  .readdirSync(examples)
  .filter(f => f.endsWith('.yaml') && f !== 'all.yaml')
  .flatMap(file =>
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
const catalogApi = catalogApiMock({ entities: demoCatalog });

// The demo catalog: meridian-dedicated's 8 GPUs are all taken by its Llama 70B at max
// replicas, eu-west-shared-1 has a free pool of 8, us-east-shared-1 has none.
const answers = {
  name: 'llama-3-1-70b-risk',
  cell: 'cell:default/eu-west-shared-1',
  model: 'meta-llama/Llama-3.1-70B-Instruct',
  precision: 'bf16',
  gpuType: 'H100-80GB',
  gpuCount: 4,
  tensorParallelism: 4,
  maxContextLength: 16384,
  maxConcurrentSequences: 16,
  minReplicas: 1,
  maxReplicas: 2,
};

/** Runs a field validator as the scaffolder's form does when a page is submitted. */
async function errorsOf(
  validator: (...args: any[]) => Promise<void> | void,
  value: unknown,
  options: object,
  formData: object = answers,
) {
  const addError = jest.fn();
  await validator(
    value,
    { addError } as any,
    {
      apiHolder: { get: () => catalogApi },
      formData,
      schema: {},
      uiSchema: { 'ui:options': options },
    } as any,
  );
  return addError.mock.calls.map(([message]) => message);
}

describe('the inference checks in the form', () => {
  it("refuses, before Create, what the cell's GPU pool cannot hold", async () => {
    const refused = await errorsOf(
      validateInferenceNumber,
      2,
      { check: 'gpuPool' },
      { ...answers, cell: 'cell:default/meridian-dedicated' },
    );
    expect(refused).toEqual([
      'cell meridian-dedicated has 8 GPUs; its deployments use up to 8 at max replicas and this one needs 8 more (4 GPUs × 2 replicas): 8 GPUs short. Lower the max replicas or the GPUs per replica, or pick another cell.',
    ]);
    expect(
      await errorsOf(validateInferenceNumber, 2, { check: 'gpuPool' }),
    ).toEqual([]);
    expect(
      await errorsOf(
        validateInferenceNumber,
        1,
        { check: 'gpuPool' },
        { ...answers, cell: 'us-east-shared-1', gpuCount: 1, maxReplicas: 1 },
      ),
    ).toEqual([
      expect.stringMatching(/^cell us-east-shared-1 has no GPU pool/),
    ]);
  });

  it("refuses a GPU fit and a context the model can't take, with the plan's messages", async () => {
    expect(
      await errorsOf(
        validateInferenceNumber,
        64,
        { check: 'gpuFit' },
        { ...answers, maxContextLength: 131072, maxConcurrentSequences: 64 },
      ),
    ).toEqual([expect.stringMatching(/^Does not fit: needs .* GiB per GPU/)]);
    expect(
      await errorsOf(
        validateInferenceNumber,
        65536,
        { check: 'contextLength' },
        {
          ...answers,
          model: 'Qwen/Qwen2.5-7B-Instruct',
          maxContextLength: 65536,
        },
      ),
    ).toEqual([
      'maxContextLength: 65,536 tokens is more than Qwen2.5 7B Instruct supports (32,768 tokens): lower it to 32,768 or less.',
    ]);
  });

  it('waits for the answers a check needs, and counts no absurd number as free', () => {
    expect(
      inferenceCheck('gpuFit', { ...answers, gpuType: undefined }),
    ).toBeUndefined();
    expect(
      inferenceCheck(
        'gpuPool',
        { ...answers, maxReplicas: 1e308 },
        demoCatalog,
      ),
    ).toMatchObject({ refused: true });
    expect(
      inferenceCheck('gpuFit', { ...answers, gpuType: 'RTX-4090' }),
    ).toBeUndefined();
  });

  it('shows the check under the field while the answer can still change', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={[[catalogApiRef, catalogApi]] as any}>
        <InferenceNumberField
          {...({
            name: 'maxReplicas',
            formData: 2,
            onChange,
            formContext: {
              formData: { ...answers, cell: 'meridian-dedicated' },
            },
            schema: { title: 'Maximum replicas', minimum: 1, maximum: 1000 },
            uiSchema: { 'ui:options': { check: 'gpuPool' } },
            required: true,
            rawErrors: [],
          } as any)}
        />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText(
        /^cell meridian-dedicated has 8 GPUs;.* 8 GPUs short/,
      ),
    ).toBeInTheDocument();
    fireEvent.change(
      screen.getByRole('spinbutton', { name: /Maximum replicas/ }),
      {
        target: { value: '3' },
      },
    );
    expect(onChange).toHaveBeenCalledWith(3);
  });
});

describe('the unique name field', () => {
  const kinds = { kinds: ['InferenceDeployment', 'ModelProfile'] };

  it('refuses, before Create, a name the catalog already has for a kind the template registers', async () => {
    expect(await errorsOf(validateUniqueName, 'gpt-4o-mini', kinds)).toEqual([
      '"gpt-4o-mini" is already used by a ModelProfile in the catalog: pick another name',
    ]);
    expect(
      await errorsOf(validateUniqueName, 'checkout-assistant', {
        kinds: ['Agent'],
      }),
    ).toEqual([
      '"checkout-assistant" is already used by an Agent in the catalog: pick another name',
    ]);
  });

  it('accepts a free name, and one taken only by a kind the template does not register', async () => {
    expect(
      await errorsOf(validateUniqueName, 'llama-3-1-70b-risk', kinds),
    ).toEqual([]);
    expect(
      await errorsOf(validateUniqueName, 'checkout-assistant', kinds),
    ).toEqual([]);
  });
});
