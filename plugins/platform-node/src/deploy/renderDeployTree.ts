import {
  CellEntity,
  InferenceDeploymentEntity,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { stringify } from 'yaml';
import { renderCellManifests } from '../manifests/cell/renderCellManifests';
import { renderInferenceManifests } from '../manifests/inference/renderInferenceManifests';
import { manifestsToYaml } from '../manifests/toYaml';
import { Manifest } from '../manifests/types';

const HEADER =
  '# Rendered by @cellport/plugin-platform-node from the catalog; do not edit by hand.\n';

const entityName = (ref: string) => ref.replace(/^[a-z]+:(default\/)?/i, '');

/**
 * One kustomize directory, with the `target.yaml` Argo CD's ApplicationSet reads to know which
 * cluster the directory deploys to.
 */
function kustomizeDir(
  dir: string,
  source: string,
  cluster: string,
  manifests: Manifest[],
) {
  return {
    [`${dir}/target.yaml`]:
      HEADER + stringify({ name: dir.replace('/', '-'), source, cluster }),
    [`${dir}/manifests.yaml`]: HEADER + manifestsToYaml(manifests),
    [`${dir}/kustomization.yaml`]:
      HEADER +
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        commonAnnotations: { 'cellport.dev/rendered-from': source },
        resources: ['manifests.yaml'],
      }),
  };
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
  const files: Record<string, string> = {};
  for (const cell of entities.cells) {
    Object.assign(
      files,
      kustomizeDir(
        `cells/${cell.metadata.name}`,
        `cell:default/${cell.metadata.name}`,
        cell.spec.cluster,
        renderCellManifests({ cell, tenants: entities.tenants }),
      ),
    );
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
