import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parseAllDocuments } from 'yaml';
import {
  formatValidationIssues,
  isPlatformEntity,
  platformEntityJsonSchema,
  platformKinds,
  PlatformKind,
  validatePlatformEntity,
} from './registry';
import { classificationAllowed } from './common';

const repoRoot = path.resolve(__dirname, '../../../..');

function loadYaml(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJS());
}

const demoEntities = fs
  .readdirSync(path.join(repoRoot, 'examples'))
  .filter(f => f.endsWith('.yaml'))
  .flatMap(f => loadYaml(path.join(repoRoot, 'examples', f)))
  .filter(isPlatformEntity);

const invalidEntities = loadYaml(
  path.join(__dirname, '../__fixtures__/invalid-entities.yaml'),
);

describe('platform kinds', () => {
  it('has a demo entity of every kind', () => {
    const kinds = new Set(demoEntities.map(e => e.kind));
    expect([...kinds].sort()).toEqual([...platformKinds].sort());
  });

  it.each(demoEntities.map(e => [`${e.kind} ${e.metadata.name}`, e]))(
    'accepts the demo entity %s',
    (_name, entity) => {
      const result = validatePlatformEntity(entity.kind, entity);
      expect(result.ok ? [] : result.issues).toEqual([]);
    },
  );

  it.each(invalidEntities.map(e => [e.kind, e]))(
    'names the field and the problem of an invalid %s',
    (_kind, entity) => {
      const result = validatePlatformEntity(entity.kind, entity);
      expect(result.ok).toBe(false);
      const message = result.ok ? '' : formatValidationIssues(result.issues);
      expect(message).toContain(
        entity.metadata.annotations['cellport.dev/expected-error'],
      );
    },
  );

  it('reports a missing required field as required', () => {
    const tenant = structuredClone(demoEntities.find(e => e.kind === 'Tenant'));
    delete tenant.spec.monthlyBudgetUsd;
    const result = validatePlatformEntity('Tenant', tenant);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues).toContainEqual({
      path: 'spec.monthlyBudgetUsd',
      message: 'is required',
    });
  });

  it('rejects a name that cannot be a Kubernetes namespace', () => {
    const cell = structuredClone(demoEntities.find(e => e.kind === 'Cell'));
    cell.metadata.name = 'EU_West';
    const result = validatePlatformEntity('Cell', cell);
    expect(result.ok ? '' : formatValidationIssues(result.issues)).toMatch(
      /^metadata\.name: must be a DNS-1123 label/,
    );
  });

  it('refuses a tenant name whose namespace, tenant-<name>, would be longer than Kubernetes allows', () => {
    const tenant = structuredClone(demoEntities.find(e => e.kind === 'Tenant'));
    tenant.metadata.name = 't'.repeat(57);
    const result = validatePlatformEntity('Tenant', tenant);
    expect(result.ok ? '' : formatValidationIssues(result.issues)).toBe(
      'metadata.name: must be at most 56 characters: its namespace, tenant-<name>, is a Kubernetes name of at most 63',
    );
    tenant.metadata.name = 't'.repeat(56);
    expect(validatePlatformEntity('Tenant', tenant).ok).toBe(true);
  });

  it('applies defaults', () => {
    const agent = demoEntities.find(e => e.metadata.name === 'homework-tutor');
    const result = validatePlatformEntity('Agent', agent);
    expect(result.ok && result.entity.spec.lifecycle).toBe('production');
  });

  describe('JSON Schema', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });

    it.each(platformKinds)(
      'of %s agrees with the zod schema on the demo and invalid fixtures',
      kind => {
        const validate = ajv.compile(
          platformEntityJsonSchema(kind as PlatformKind),
        );
        for (const entity of demoEntities.filter(e => e.kind === kind)) {
          expect(validate(entity)).toBe(true);
        }
        // Cross-field rules (a refinement) live only in zod; field-level rules are in both.
        const invalid = invalidEntities.find(e => e.kind === kind);
        const fieldLevel = ['Tenant', 'Agent', 'ModelProfile'].includes(kind);
        expect(validate(invalid)).toBe(!fieldLevel);
      },
    );
  });
});

describe('classificationAllowed', () => {
  it('orders PUBLIC < INTERNAL < CONFIDENTIAL < RESTRICTED', () => {
    expect(classificationAllowed('INTERNAL', 'CONFIDENTIAL')).toBe(true);
    expect(classificationAllowed('CONFIDENTIAL', 'CONFIDENTIAL')).toBe(true);
    expect(classificationAllowed('RESTRICTED', 'CONFIDENTIAL')).toBe(false);
    expect(classificationAllowed('PUBLIC', 'PUBLIC')).toBe(true);
  });
});
