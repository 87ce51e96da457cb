import {
  CellEntity,
  InferenceDeploymentEntity,
  TenantEntity,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import { TEST_ENTITIES } from '@cellport/plugin-platform-node-test-utils';
import { renderCellManifests } from './cell/renderCellManifests';
import { renderInferenceManifests } from './inference/renderInferenceManifests';
import { renderSloPrometheusRule } from './monitoring/renderSloRules';
import { Manifest } from './types';
import {
  kubernetesLabelValueProblem,
  validateManifests,
} from './validateManifests';

function entity<T>(
  kind: 'Cell' | 'Tenant' | 'InferenceDeployment',
  name: string,
): T {
  const raw = TEST_ENTITIES.find(
    e => e.kind === kind && e.metadata.name === name,
  );
  const result = validatePlatformEntity(kind, structuredClone(raw));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.entity as T;
}

const llama = () =>
  entity<InferenceDeploymentEntity>('InferenceDeployment', 'llama-3-1-70b-eu');
const cell = () => entity<CellEntity>('Cell', 'eu-west-shared-1');
const northwind = () => entity<TenantEntity>('Tenant', 'northwind-retail');

function withKubernetesId(id: string): InferenceDeploymentEntity {
  const deployment = llama();
  deployment.metadata.annotations = {
    ...deployment.metadata.annotations,
    'backstage.io/kubernetes-id': id,
  };
  return deployment;
}

const namespace = (name: string): Manifest => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
});

describe('validateManifests', () => {
  it('accepts what the renderers produce for the test entities', () => {
    const tenants = [northwind()];
    expect(
      validateManifests([
        ...renderCellManifests({ cell: cell(), tenants }),
        ...renderInferenceManifests({
          deployment: llama(),
          cell: 'eu-west-shared-1',
        }),
      ]),
    ).toEqual([]);
  });

  it.each([
    ['Llama 3.1 (EU)', 'not a label value'],
    [`llama-${'x'.repeat(58)}`, 'over 63 characters'],
  ])(
    'refuses a kubernetes-id label %p (%s), naming the label and the annotation',
    id => {
      const problems = validateManifests(
        renderInferenceManifests({
          deployment: withKubernetesId(id),
          cell: 'eu-west-shared-1',
        }),
      );
      const field = 'metadata.labels["backstage.io/kubernetes-id"]';
      expect(problems).toContainEqual({
        object: 'Deployment/llama-3-1-70b-eu',
        message: `${field}: must be a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit (got ${JSON.stringify(
          id,
        )}, ${
          id.length
        } characters); it is the entity's metadata.annotations["backstage.io/kubernetes-id"]`,
      });
      // The pod template's labels carry it too, and every object is named.
      expect(
        problems.map(p => `${p.object} ${p.message.split(':')[0]}`),
      ).toEqual([
        `Deployment/llama-3-1-70b-eu ${field}`,
        'Deployment/llama-3-1-70b-eu spec.template.metadata.labels["backstage.io/kubernetes-id"]',
        `Service/llama-3-1-70b-eu ${field}`,
        `HorizontalPodAutoscaler/llama-3-1-70b-eu ${field}`,
        `PodDisruptionBudget/llama-3-1-70b-eu ${field}`,
      ]);
    },
  );

  it("refuses a tenant namespace over 63 characters, naming the Tenant's name to shorten", () => {
    const tenant = northwind();
    tenant.metadata.name = 'a'.repeat(63);
    const c = cell();
    c.spec.tenants = [tenant.metadata.name];
    const problems = validateManifests(
      renderCellManifests({ cell: c, tenants: [tenant] }),
    );
    const ns = `tenant-${'a'.repeat(63)}`;
    const hint = `; it is tenant "${tenant.metadata.name}"'s namespace, so that Tenant's metadata.name must be at most 56 characters`;
    expect(problems[0]).toEqual({
      object: `Namespace/${ns}`,
      message: `metadata.name: must be a DNS-1123 label: at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit (got "${ns}", 70 characters)${hint}`,
    });
    // Each object in it is refused for its namespace.
    expect(problems.slice(1).map(p => p.message)).toEqual(
      Array(problems.length - 1).fill(
        `metadata.namespace: must be a DNS-1123 label: at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit (got "${ns}", 70 characters)${hint}`,
      ),
    );
    expect(problems.map(p => p.object)).toEqual([
      `Namespace/${ns}`,
      'ResourceQuota/tenant-quota',
      'LimitRange/tenant-defaults',
      'NetworkPolicy/default-deny',
      'NetworkPolicy/allow-gateway',
      'ServiceAccount/tenant-agents',
    ]);
  });

  it("holds each kind's name to the API server's rule", () => {
    const subdomain = `${'a'.repeat(60)}.${'b'.repeat(60)}`;
    const problems = (manifests: Manifest[]) =>
      validateManifests(manifests).map(p => `${p.object} ${p.message}`);

    // A Namespace's name is a label: no dots, no upper case, at most 63 characters.
    expect(problems([namespace('cellport-inference')])).toEqual([]);
    expect(problems([namespace(subdomain)])).toEqual([
      expect.stringMatching(
        /^Namespace\/a+\.b+ metadata.name: must be a DNS-1123 label/,
      ),
    ]);
    expect(problems([namespace('Tenant-A')])).toEqual([
      expect.stringMatching(/metadata.name: must be a DNS-1123 label/),
    ]);
    // A Service's is a DNS-1035 label: it starts with a letter.
    const [, service, hpa] = renderInferenceManifests({
      deployment: llama(),
      cell: 'eu-west-shared-1',
    });
    const renamed = (m: Manifest, name: string) => ({
      ...m,
      metadata: { ...m.metadata, name },
    });
    expect(problems([renamed(service, '70b-llama')])).toEqual([
      'Service/70b-llama metadata.name: must be a DNS-1035 label: at most 63 lower-case letters, digits and "-", starting with a letter and ending with a letter or digit (got "70b-llama", 9 characters)',
    ]);
    // The other kinds take a subdomain, up to 253 characters with dots.
    expect(problems([renamed(hpa, '70b-llama')])).toEqual([]);
    expect(problems([renamed(hpa, subdomain)])).toEqual([]);
    expect(problems([renamed(hpa, 'x'.repeat(254))])).toEqual([
      expect.stringMatching(/metadata.name: must be a DNS-1123 subdomain/),
    ]);
    expect(problems([renamed(hpa, 'llama_3')])).toEqual([
      expect.stringMatching(/metadata.name: must be a DNS-1123 subdomain/),
    ]);
  });

  it("checks selectors' label values, and leaves a PrometheusRule's Prometheus labels alone", () => {
    const [, service] = renderInferenceManifests({
      deployment: llama(),
      cell: 'eu-west-shared-1',
    });
    const selected = {
      ...service,
      spec: { ...(service.spec as object), selector: { app: 'a b' } },
    };
    expect(validateManifests([selected]).map(p => p.message)).toEqual([
      expect.stringMatching(
        /^spec.selector\["app"\]: must be a Kubernetes label value/,
      ),
    ]);

    const rule = renderSloPrometheusRule({
      cell: cell(),
      portalBaseUrl: 'https://portal.example.com',
    }) as any;
    rule.spec.groups[0].rules[0].labels = { summary: 'not a label value' };
    expect(validateManifests([rule])).toEqual([]);
  });
});

describe('kubernetesLabelValueProblem', () => {
  it.each(['', 'a', 'eu-west-shared-1', 'Llama_3.1-70B', 'x'.repeat(63)])(
    'accepts %p',
    value => expect(kubernetesLabelValueProblem(value)).toBeUndefined(),
  );

  it.each(['-a', 'a-', '.a', 'a b', 'a/b', 'x'.repeat(64)])(
    'refuses %p',
    value =>
      expect(kubernetesLabelValueProblem(value)).toMatch(
        /^must be a Kubernetes label value/,
      ),
  );
});
