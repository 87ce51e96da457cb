import {
  capabilitySchema,
  routingPolicySchema,
  classificationSchema,
  cloudSchema,
  isolationSchema,
  tenantTierSchema,
  GPU_TYPES,
  gpuTypeSchema,
  KNOWN_MODELS,
  precisionSchema,
} from '@cellport/plugin-platform-common';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const templates = path.resolve(__dirname, '../../../templates');

function load(name: string) {
  return parse(
    fs.readFileSync(path.join(templates, name, 'template.yaml'), 'utf8'),
  );
}

/** A template's form fields by name, across its pages. */
function fields(template: any): Record<string, any> {
  return Object.assign(
    {},
    ...template.spec.parameters.map((p: any) => p.properties),
  );
}

// The forms list choices as JSON Schema enums; these tests keep them equal to the platform
// schemas they must satisfy, so a form never offers what the actions then refuse.
describe('the inference-deployment template', () => {
  const template = load('inference-deployment');
  const form = fields(template);

  it('offers exactly the known models, with their size and context', () => {
    expect(form.model.enum).toEqual(KNOWN_MODELS.map(m => m.name));
    expect(form.model.enumNames).toEqual(
      KNOWN_MODELS.map(
        m =>
          `${m.displayName} (${m.parametersBillions.toFixed(1)}B, ${Math.round(
            m.defaultContextLength / 1024,
          )}k context)`,
      ),
    );
  });

  it('offers exactly the platform GPU types, precisions and classifications', () => {
    expect(form.gpuType.enum).toEqual(gpuTypeSchema.options);
    expect(form.gpuType.enumNames).toEqual(
      gpuTypeSchema.options.map(t => GPU_TYPES[t].displayName),
    );
    expect(form.precision.enum).toEqual(precisionSchema.options);
    expect(form.maxClassification.enum).toEqual(classificationSchema.options);
  });

  it('plans before it writes, publishes or registers anything', () => {
    expect(template.spec.steps.map((s: any) => s.action)).toEqual([
      'cellport:inference:plan',
      'cellport:inference:render',
      'cellport:publish:local',
      'cellport:catalog:register-file',
    ]);
  });
});

describe('the tenant-cell template', () => {
  const template = load('tenant-cell');
  const form = fields(template);
  const placement = template.spec.parameters[1].dependencies.isolation.oneOf;

  it('offers exactly the platform tiers, isolations, clouds and classifications', () => {
    expect(form.tier.enum).toEqual(tenantTierSchema.options);
    expect([...form.isolation.enum].sort()).toEqual(
      [...isolationSchema.options].sort(),
    );
    expect(placement[1].properties.cloud.enum).toEqual(cloudSchema.options);
    expect(form.dataClassification.enum).toEqual(classificationSchema.options);
  });

  it('asks a shared tenant for its cell and any other for a cluster', () => {
    expect(placement[0].required).toEqual(['cell']);
    expect(placement[1].required).toEqual(['cloud', 'cluster']);
  });

  it('plans before it writes, publishes or registers anything', () => {
    expect(template.spec.steps.map((s: any) => s.action)).toEqual([
      'cellport:tenant:plan',
      'cellport:tenant:create-api-key',
      'cellport:tenant:render',
      'cellport:publish:local',
      'cellport:catalog:register-file',
      'publish:github',
      'catalog:register',
      'cellport:runtime:reconcile',
    ]);
  });

  it('publishes either locally or to GitHub, never both', () => {
    const conditions = Object.fromEntries(
      template.spec.steps.map((s: any) => [s.id, s.if]),
    );
    const local = "${{ parameters.publishTo != 'github' }}";
    const github = "${{ parameters.publishTo == 'github' }}";
    expect(conditions).toMatchObject({
      publish: local,
      register: local,
      'publish-github': github,
      'register-github': github,
    });
    const publishStep = template.spec.parameters.find(
      (p: any) => p.title === 'Repository',
    );
    expect(publishStep.dependencies.publishTo.oneOf[1].required).toEqual([
      'repoUrl',
    ]);
  });
});

describe('the agent template', () => {
  const template = load('agent');
  const form = fields(template);

  it('offers exactly the platform routing policies and capabilities', () => {
    expect(form.policy.enum).toEqual(routingPolicySchema.options);
    expect(form.requiredCapabilities.items.enum).toEqual(
      capabilitySchema.options,
    );
  });

  it("asks for the agent's RPM and TPM together, as the platform schema wants them", () => {
    const page = template.spec.parameters.find(
      (p: any) => p.properties.requestsPerMinute,
    );
    expect(page.dependencies).toEqual({
      requestsPerMinute: ['tokensPerMinute'],
      tokensPerMinute: ['requestsPerMinute'],
    });
    expect(page.required ?? []).not.toContain('requestsPerMinute');
    const plan = template.spec.steps.find((s: any) => s.id === 'plan');
    expect(plan.input).toMatchObject({
      requestsPerMinute: '${{ parameters.requestsPerMinute }}',
      tokensPerMinute: '${{ parameters.tokensPerMinute }}',
    });
  });

  it('plans before it writes, publishes or registers anything', () => {
    expect(template.spec.steps.map((s: any) => s.action)).toEqual([
      'cellport:agent:plan',
      'cellport:agent:render',
      'cellport:publish:local',
      'cellport:catalog:register-file',
      'cellport:runtime:reconcile',
    ]);
  });
});

describe('every template', () => {
  it.each(['tenant-cell', 'agent', 'inference-deployment'])(
    '%s gives each multi-entity picker what it can render',
    name => {
      const pickers = Object.entries(fields(load(name))).filter(
        ([, field]: [string, any]) => field['ui:field'] === 'MultiEntityPicker',
      );
      for (const [, field] of pickers as [string, any][]) {
        expect(field.items).toEqual({ type: 'string' });
        // The form prefills minItems with empty entries, which the picker cannot render.
        expect(field.minItems).toBeUndefined();
      }
    },
  );
});
