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
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { createPlanAgentAction } from './actions/agent/planAgent';
import { createProposeAgentChangeAction } from './actions/agent/proposeAgentChange';
import { ConfigReader } from '@backstage/config';
import { createPlanInferenceDeploymentAction } from './actions/inference/planInferenceDeployment';
import { createRenderInferenceDeploymentAction } from './actions/inference/renderInferenceDeployment';
import { createPlanTenantOnboardingAction } from './actions/tenant/planTenantOnboarding';

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
    expect(form.model['ui:enumNames']).toEqual(
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
    expect(form.gpuType['ui:enumNames']).toEqual(
      gpuTypeSchema.options.map(t => GPU_TYPES[t].displayName),
    );
    expect(form.precision.enum).toEqual(precisionSchema.options);
    expect(form.maxClassification.enum).toEqual(classificationSchema.options);
  });

  it("runs the plan step's checks in the form, each on the last answer it needs", () => {
    expect(form.name['ui:options']).toEqual({
      kinds: ['InferenceDeployment', 'ModelProfile'],
    });
    expect(form.maxContextLength['ui:options']).toEqual({
      check: 'contextLength',
    });
    expect(form.maxConcurrentSequences['ui:options']).toEqual({
      check: 'gpuFit',
    });
    expect(form.maxReplicas['ui:options']).toEqual({ check: 'gpuPool' });
    // The fit needs every answer of its page, the pool every page: they come last.
    const pages = template.spec.parameters.map((p: any) =>
      Object.keys(p.properties),
    );
    expect(pages[1].at(-1)).toBe('maxConcurrentSequences');
    expect(pages[2]).toContain('maxReplicas');
  });

  it('plans before it writes, publishes or registers anything', () => {
    expect(template.spec.steps.map((s: any) => s.action)).toEqual([
      'cellport:inference:plan',
      'cellport:inference:render',
      'cellport:publish:local',
      'cellport:catalog:register-file',
      'publish:github',
      'cellport:catalog:register-url',
      'publish:gitlab',
      'cellport:catalog:register-url',
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
      'cellport:catalog:register-url',
      'publish:gitlab',
      'cellport:catalog:register-url',
      'cellport:runtime:reconcile',
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
      'cellport:agent:create-api-key',
      'cellport:agent:render',
      'cellport:publish:local',
      'cellport:catalog:register-file',
      'publish:github',
      'cellport:catalog:register-url',
      'publish:gitlab',
      'cellport:catalog:register-url',
      'cellport:runtime:reconcile',
    ]);
  });
});

describe('every template', () => {
  const names = ['tenant-cell', 'agent', 'inference-deployment'];

  /** Every field of a template, its pages' dependencies and array items included. */
  function allFields(node: any, out: any[] = []): any[] {
    if (Array.isArray(node)) node.forEach(n => allFields(n, out));
    else if (node && typeof node === 'object') {
      if (typeof node.type === 'string') out.push(node);
      Object.values(node).forEach(v => allFields(v, out));
    }
    return out;
  }

  it.each(names)(
    '%s labels its choices for the form and the review step and explains its patterns in words',
    name => {
      const fieldList = allFields(load(name).spec.parameters);
      // The form reads labels from `ui:enumNames` (RJSF warns only when it must fall back to
      // the deprecated `enumNames`); the review step reads `enumNames`. Every labelled choice
      // carries both, the same list, so neither shows a raw value.
      for (const field of fieldList.filter(
        f => 'enumNames' in f || 'ui:enumNames' in f,
      )) {
        expect(field.enumNames).toEqual(field['ui:enumNames']);
        expect(field.enumNames).toHaveLength(field.enum.length);
      }
      for (const field of fieldList.filter(f => f.pattern)) {
        expect(field.errorMessage?.pattern).toMatch(/^[a-z].* /);
      }
    },
  );

  it.each(names)(
    '%s bounds every number it asks for, as the platform schemas do',
    name => {
      const numbers = allFields(load(name).spec.parameters).filter(f =>
        ['number', 'integer'].includes(f.type),
      );
      expect(numbers.length).toBeGreaterThan(0);
      for (const field of numbers) {
        expect([field.title, field.maximum ?? field.exclusiveMaximum]).toEqual([
          field.title,
          expect.any(Number),
        ]);
      }
    },
  );

  // The actions take their enums and bounds from the platform kinds: a form field the form
  // lets through must be within what the step it feeds declares.
  it.each(names)(
    "%s offers nothing its steps' declared inputs refuse",
    name => {
      const catalog = catalogServiceMock();
      const inputs = Object.fromEntries(
        [
          createPlanTenantOnboardingAction({ catalog }),
          createPlanAgentAction({ catalog }),
          createPlanInferenceDeploymentAction({ catalog }),
          createRenderInferenceDeploymentAction(),
        ].map(a => [a.id, (a.schema?.input as any).properties]),
      );
      const template = load(name);
      const form: Record<string, any> = Object.fromEntries(
        allFields(template.spec.parameters)
          .flatMap(f => Object.entries(f.properties ?? {}))
          .concat(
            template.spec.parameters.flatMap((p: any) =>
              Object.entries(p.properties),
            ),
          ),
      );
      const compared: string[] = [];
      for (const step of template.spec.steps) {
        for (const [key, value] of Object.entries(step.input ?? {})) {
          const field = /^\$\{\{ parameters\.(\w+) \}\}$/.exec(
            String(value),
          )?.[1];
          const declared = inputs[step.action]?.[key];
          if (!field || !declared || !form[field]) continue;
          const [offered, accepted] =
            declared.type === 'array'
              ? [form[field].items ?? {}, declared.items]
              : [form[field], declared];
          const refused = (offered.enum ?? []).filter(
            (v: string) => accepted.enum && !accepted.enum.includes(v),
          );
          expect([step.id, key, refused]).toEqual([step.id, key, []]);
          const low = (s: any) =>
            Math.max(s.minimum ?? -Infinity, s.exclusiveMinimum ?? -Infinity);
          const high = (s: any) =>
            Math.min(s.maximum ?? Infinity, s.exclusiveMaximum ?? Infinity);
          expect([step.id, key, low(offered) >= low(accepted)]).toEqual([
            step.id,
            key,
            true,
          ]);
          expect([step.id, key, high(offered) <= high(accepted)]).toEqual([
            step.id,
            key,
            true,
          ]);
          compared.push(key);
        }
      }
      expect(compared.length).toBeGreaterThan(3);
    },
  );

  it.each(names)(
    '%s checks its name against the catalog before Create',
    name => {
      expect(fields(load(name)).name['ui:field']).toBe('CellportUniqueName');
    },
  );

  // publishTo picks one publisher: a local repository by default, GitHub or GitLab where the
  // portal has an integration for them. API callers that leave it out get the local one.
  it.each(names)(
    '%s publishes to exactly one of a local repository, GitHub and GitLab',
    name => {
      const template = load(name);
      const steps = Object.fromEntries(
        template.spec.steps.map((s: any) => [s.id, s]),
      );
      const local = "${{ (parameters.publishTo or 'local') == 'local' }}";
      const on = (host: string) => `\${{ parameters.publishTo == '${host}' }}`;
      const remote = (host: string) => ({
        [`publish-${host}`]: {
          if: on(host),
          action: `publish:${host}`,
          input: {
            repoUrl: '${{ parameters.repoUrl }}',
            defaultBranch: 'main',
          },
        },
        [`register-${host}`]: {
          if: on(host),
          action: 'cellport:catalog:register-url',
          input: {
            repoContentsUrl: `\${{ steps['publish-${host}'].output.repoContentsUrl }}`,
            catalogInfoPath: '/catalog-info.yaml',
          },
        },
      });
      expect(steps).toMatchObject({
        publish: { if: local, action: 'cellport:publish:local' },
        register: { if: local, action: 'cellport:catalog:register-file' },
        ...remote('github'),
        ...remote('gitlab'),
      });
      // Every other step runs whichever publisher did.
      const publishing = [
        'publish',
        'register',
        'publish-github',
        'register-github',
        'publish-gitlab',
        'register-gitlab',
      ];
      const conditional = template.spec.steps.filter(
        (s: any) => s.if !== undefined && !publishing.includes(s.id),
      );
      expect(conditional).toEqual([]);
    },
  );

  it.each(names)(
    '%s asks for a repository on the host it publishes to, and only then',
    name => {
      const page = load(name).spec.parameters.find(
        (p: any) => p.title === 'Repository',
      );
      expect(page.properties.publishTo).toMatchObject({
        default: 'local',
        enum: ['local', 'github', 'gitlab'],
      });
      const [local, github, gitlab] = page.dependencies.publishTo.oneOf;
      expect(local).toEqual({ properties: { publishTo: { const: 'local' } } });
      for (const [choice, host] of [
        [github, 'github.com'],
        [gitlab, 'gitlab.com'],
      ]) {
        expect(choice.required).toEqual(['repoUrl']);
        expect(choice.properties.repoUrl).toMatchObject({
          type: 'string',
          'ui:field': 'RepoUrlPicker',
          'ui:options': { allowedHosts: [host] },
        });
      }
    },
  );

  it.each(names)(
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

describe('the agent-change template', () => {
  const template = load('agent-change');
  const form = fields(template);

  it('asks what the recommendations card fills in, with the platform routing policies', () => {
    // The card's "Propose this change" link pre-fills exactly these (`formData`).
    expect(Object.keys(form).sort()).toEqual([
      'agent',
      'policy',
      'preferredModels',
      'reason',
    ]);
    expect(form.policy.enum).toEqual(routingPolicySchema.options);
    expect(form.policy.enumNames).toEqual(form.policy['ui:enumNames']);
    expect(form.agent['ui:options'].catalogFilter).toEqual({ kind: 'Agent' });
  });

  it('feeds each answer to the propose step, within what the step accepts', () => {
    const action = createProposeAgentChangeAction({
      config: new ConfigReader({}),
      catalog: catalogServiceMock(),
    });
    const declared = (action.schema?.input as any).properties;
    const [step] = template.spec.steps;
    expect(step.action).toBe(action.id);
    for (const name of Object.keys(form)) {
      expect(step.input[name]).toBe(`\${{ parameters.${name} }}`);
      expect(declared[name]).toBeDefined();
    }
    expect(declared.policy.enum).toEqual(form.policy.enum);
    expect(declared.reason.maxLength).toBe(form.reason.maxLength);
    expect(declared.preferredModels.maxItems).toBe(
      form.preferredModels.maxItems,
    );
  });
});
