import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import { KUBERNETES_ID_ANNOTATION } from '@cellport/plugin-platform-common';
import { tenantNamespace } from './labels';
import { Manifest } from './types';

type ModelClass = new (data: any) => { validate(): void };

const MODELS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
  'monitoring.coreos.com/v1': monitoring,
};

/** One object that failed validation, and why. */
export interface ManifestProblem {
  object: string;
  message: string;
}

interface NameRule {
  pattern: RegExp;
  max: number;
  description: string;
}

const DNS_1123_LABEL: NameRule = {
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  max: 63,
  description:
    'a DNS-1123 label: at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit',
};
const DNS_1035_LABEL: NameRule = {
  pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
  max: 63,
  description:
    'a DNS-1035 label: at most 63 lower-case letters, digits and "-", starting with a letter and ending with a letter or digit',
};
const DNS_1123_SUBDOMAIN: NameRule = {
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  max: 253,
  description:
    'a DNS-1123 subdomain: at most 253 lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
};

/**
 * The API server's rule for each rendered kind's name: a Service's becomes a DNS name of its
 * own, a Namespace's a label; the other kinds (and the CRDs) take a subdomain.
 */
const NAME_RULES: Record<string, NameRule> = {
  Namespace: DNS_1123_LABEL,
  Service: DNS_1035_LABEL,
};

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Why `value` cannot be a Kubernetes label value (or a label selector's), or undefined when it
 * can. The API server refuses such a label on an object, and such a selector on a list.
 */
export function kubernetesLabelValueProblem(value: string): string | undefined {
  if (value.length <= 63 && LABEL_VALUE.test(value)) return undefined;
  return `must be a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit (got ${JSON.stringify(
    value,
  )}, ${value.length} characters)`;
}

/**
 * Validates manifests against the Kubernetes OpenAPI schemas (from kubernetes-models; the
 * ServiceMonitor CRD's schema from its prometheus-operator release), and their names,
 * namespaces and label values against the API server's rules, which those schemas leave out.
 * An apiVersion or kind the renderer does not produce is a problem too, not silently accepted.
 */
export function validateManifests(manifests: Manifest[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const manifest of manifests) {
    const object = `${manifest.kind}/${manifest.metadata?.name ?? '?'}`;
    const Model = MODELS[manifest.apiVersion]?.[manifest.kind] as
      | ModelClass
      | undefined;
    if (!Model) {
      problems.push({
        object,
        message: `unknown apiVersion/kind ${manifest.apiVersion}/${manifest.kind}`,
      });
      continue;
    }
    try {
      new Model(manifest).validate();
    } catch (error) {
      problems.push({ object, message: (error as Error).message });
    }
    for (const message of [
      ...nameProblems(manifest),
      ...labelProblems(manifest),
    ]) {
      problems.push({ object, message });
    }
  }
  return problems;
}

function nameProblems(manifest: Manifest): string[] {
  const { name, namespace } = manifest.metadata ?? {};
  const problems: string[] = [];
  const check = (field: string, value: unknown, rule: NameRule) => {
    if (typeof value !== 'string') return;
    if (value.length <= rule.max && rule.pattern.test(value)) return;
    problems.push(
      `${field}: must be ${rule.description} (got ${JSON.stringify(value)}, ${
        value.length
      } characters)${tenantHint(manifest, value)}`,
    );
  };
  check('metadata.name', name, NAME_RULES[manifest.kind] ?? DNS_1123_SUBDOMAIN);
  check('metadata.namespace', namespace, DNS_1123_LABEL);
  return problems;
}

/** Where a tenant's namespace is too long, the Tenant's name is what to change. */
function tenantHint(manifest: Manifest, value: string): string {
  const tenant = manifest.metadata.labels?.['cellport.dev/tenant'];
  if (!tenant || value !== tenantNamespace(tenant)) return '';
  const max = DNS_1123_LABEL.max - tenantNamespace('').length;
  return `; it is tenant "${tenant}"'s namespace, so that Tenant's metadata.name must be at most ${max} characters`;
}

function labelProblems(manifest: Manifest): string[] {
  const maps = labelMaps(manifest.metadata, 'metadata');
  // A PrometheusRule's rules carry Prometheus labels, which are not Kubernetes labels.
  if (manifest.kind !== 'PrometheusRule') {
    maps.push(...labelMaps(manifest.spec, 'spec'));
  }
  // A Service selects its pods by a plain map rather than `matchLabels`.
  const selector = (manifest.spec as { selector?: unknown } | undefined)
    ?.selector;
  if (manifest.kind === 'Service' && isRecord(selector)) {
    maps.push(['spec.selector', selector]);
  }
  return maps.flatMap(([path, labels]) =>
    Object.entries(labels).flatMap(([key, value]) => {
      const problem =
        typeof value === 'string' ? kubernetesLabelValueProblem(value) : '';
      return problem
        ? [`${path}[${JSON.stringify(key)}]: ${problem}${annotationHint(key)}`]
        : [];
    }),
  );
}

/** The renderers copy this label from the entity's annotation of the same name. */
function annotationHint(key: string): string {
  return key === KUBERNETES_ID_ANNOTATION
    ? `; it is the entity's metadata.annotations[${JSON.stringify(key)}]`
    : '';
}

/** The label maps under `value`: its `labels` and `matchLabels` at any depth, by path. */
function labelMaps(
  value: unknown,
  path: string,
): Array<[string, Record<string, unknown>]> {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => labelMaps(item, `${path}[${i}]`));
  }
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = `${path}.${key}`;
    if ((key === 'labels' || key === 'matchLabels') && isRecord(child)) {
      return [[childPath, child] as [string, Record<string, unknown>]];
    }
    return labelMaps(child, childPath);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
