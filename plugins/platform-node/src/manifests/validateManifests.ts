import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
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

/**
 * Validates manifests against the Kubernetes OpenAPI schemas (from kubernetes-models; the
 * ServiceMonitor CRD's schema from its prometheus-operator release). An
 * apiVersion or kind the renderer does not produce is a problem too, not silently accepted.
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
  }
  return problems;
}
