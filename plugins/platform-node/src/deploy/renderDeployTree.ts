import {
  CellEntity,
  Isolation,
  InferenceDeploymentEntity,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { stringify } from 'yaml';
import { gatewayAdapterRules } from '../manifests/cell/gatewayAdapterRules';
import { renderCellManifests } from '../manifests/cell/renderCellManifests';
import { renderInferenceManifests } from '../manifests/inference/renderInferenceManifests';
import { renderServiceMonitors } from '../manifests/monitoring/renderServiceMonitors';
import { manifestsToYaml } from '../manifests/toYaml';
import { Manifest } from '../manifests/types';

const HEADER =
  '# Rendered by @cellport/plugin-platform-node from the catalog; do not edit by hand.\n';

const entityName = (ref: string) => ref.replace(/^[a-z]+:(default\/)?/i, '');

/**
 * One kustomize directory: the renderer's workloads, their ServiceMonitors (apart, so a cluster
 * without prometheus-operator can leave them out), the components it takes on, and the
 * `target.yaml` Argo CD's ApplicationSet reads to know which cluster the directory deploys to.
 */
function kustomizeDir(
  dir: string,
  source: string,
  cluster: string,
  manifests: Manifest[],
  components: string[] = [],
) {
  return {
    [`${dir}/target.yaml`]:
      HEADER + stringify({ name: dir.replace('/', '-'), source, cluster }),
    [`${dir}/manifests.yaml`]: HEADER + manifestsToYaml(manifests),
    [`${dir}/monitoring.yaml`]:
      HEADER + manifestsToYaml(renderServiceMonitors(manifests)),
    [`${dir}/kustomization.yaml`]:
      HEADER +
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        commonAnnotations: { 'cellport.dev/rendered-from': source },
        resources: ['manifests.yaml', 'monitoring.yaml'],
        ...(components.length ? { components } : {}),
      }),
  };
}

const ZONE_SPREAD = {
  maxSkew: 1,
  topologyKey: 'topology.kubernetes.io/zone',
  labelSelector: {
    matchLabels: { 'app.kubernetes.io/component': 'gateway' },
  },
};

/**
 * The overlay of each isolation tier, a kustomize Component every cell of the tier takes on:
 * what operators tune per tier across the fleet. Each labels its objects with the tier, and
 * spreads the gateway over zones: a shared cell's gateway as best effort, since it scales
 * wide; a single-tenant cell's (premium and enterprise, 99.95%) strictly, so one zone's
 * outage cannot take every replica.
 */
function tierComponents(): Record<string, string> {
  const tiers: Record<Isolation, 'ScheduleAnyway' | 'DoNotSchedule'> = {
    shared: 'ScheduleAnyway',
    dedicated: 'DoNotSchedule',
    'customer-vpc': 'DoNotSchedule',
  };
  return Object.fromEntries(
    Object.entries(tiers).map(([tier, whenUnsatisfiable]) => [
      `cells/tiers/${tier}/kustomization.yaml`,
      HEADER +
        stringify({
          apiVersion: 'kustomize.config.k8s.io/v1alpha1',
          kind: 'Component',
          labels: [
            {
              pairs: { 'cellport.dev/isolation': tier },
              includeSelectors: false,
            },
          ],
          patches: [
            {
              target: {
                kind: 'Deployment',
                labelSelector: 'app.kubernetes.io/component=gateway',
              },
              patch: stringify([
                {
                  op: 'add',
                  path: '/spec/template/spec/topologySpreadConstraints',
                  value: [{ ...ZONE_SPREAD, whenUnsatisfiable }],
                },
              ]),
            },
          ],
        }),
    ]),
  );
}

/**
 * The GitOps tree under deploy/ for a set of catalog entities: one kustomize directory per
 * cell (`cells/<name>`) and per inference deployment (`inference/<name>`), each holding the
 * renderer's output and a `target.yaml` naming its cluster. Argo CD's ApplicationSet
 * (deploy/argocd) deploys every such directory. Keys are paths relative to deploy/, values the
 * file contents.
 */
export function renderDeployTree(entities: {
  cells: CellEntity[];
  tenants: TenantEntity[];
  inferenceDeployments: InferenceDeploymentEntity[];
}): Record<string, string> {
  const files: Record<string, string> = tierComponents();
  for (const cell of entities.cells) {
    Object.assign(
      files,
      kustomizeDir(
        `cells/${cell.metadata.name}`,
        `cell:default/${cell.metadata.name}`,
        cell.spec.cluster,
        renderCellManifests({ cell, tenants: entities.tenants }),
        [`../tiers/${cell.spec.tier}`],
      ),
    );
    // Not a Kubernetes object, so not among the kustomization's resources: the rule to merge
    // into the cluster's prometheus-adapter config (Helm value `rules.custom`) so that the
    // gateway's HPA gets its in-flight metric.
    files[`cells/${cell.metadata.name}/prometheus-adapter.yaml`] =
      HEADER + stringify(gatewayAdapterRules());
  }
  for (const deployment of entities.inferenceDeployments) {
    const cellName = entityName(deployment.spec.cell);
    const cell = entities.cells.find(c => c.metadata.name === cellName);
    if (!cell) {
      throw new Error(
        `InferenceDeployment "${deployment.metadata.name}": spec.cell: no cell "${cellName}" among the cells given`,
      );
    }
    Object.assign(
      files,
      kustomizeDir(
        `inference/${deployment.metadata.name}`,
        `inferencedeployment:default/${deployment.metadata.name}`,
        cell.spec.cluster,
        renderInferenceManifests({ deployment, cell: cellName }),
      ),
    );
  }
  return files;
}
