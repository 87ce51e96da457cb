import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  CellEntity,
  entityRefName,
  InferenceDeploymentEntity,
  sameEntityName,
  KUBERNETES_ID_ANNOTATION,
} from '@cellport/plugin-platform-common';
import {
  Manifest,
  ManifestImages,
  platformLabels,
  renderCellManifests,
  renderInferenceManifests,
  validateManifests,
} from '@cellport/plugin-platform-node';
import { PlatformCatalog } from '@cellport/plugin-platform-node';
import { applyOrder, labelSelector } from '../cluster/kubernetesObjects';
import { assertKubernetesId } from './kubernetesId';

/** What deploying one Cell or InferenceDeployment means: its objects, where they go. */
export interface DeployTarget {
  /** Normalised: `cell:default/eu-west-shared-1`. */
  entityRef: string;
  kind: 'Cell' | 'InferenceDeployment';
  /** The cell whose cluster and error budget apply: the Cell itself, or the deployment's. */
  cell: string;
  /** The Cell's `spec.cluster`. */
  cluster: string;
  /** The renderer's output, in apply order. */
  manifests: Manifest[];
  /**
   * The label selector of every object this entity owns in the cluster, applied or stale: our
   * managed-by label, the cell, the entity's kubernetes-id, and its component. A Cell's and
   * its InferenceDeployments' objects share the cell label; the component tells them apart,
   * so deploying one never prunes the other.
   */
  selector: string;
}

const INFERENCE_COMPONENT = 'inference';

/**
 * Resolves a Cell or InferenceDeployment entity ref to its rendered manifests (from
 * plugins/platform-node, the one renderer) and cluster, reading the catalog fresh.
 */
export class DeployTargets {
  private readonly images: Partial<ManifestImages>;

  /** @param images - overrides of the renderer's pinned images; unset ones keep the pins. */
  constructor(
    private readonly catalog: PlatformCatalog,
    images: { [K in keyof ManifestImages]?: string | undefined } = {},
  ) {
    this.images = Object.fromEntries(
      Object.entries(images).filter(([, image]) => image !== undefined),
    );
  }

  async resolve(entityRef: string): Promise<DeployTarget> {
    const ref = parseRef(entityRef);
    const entities = await this.catalog.entities({ fresh: true });
    const findCell = (name: string) =>
      entities.cells.find(c => sameEntityName(c.metadata.name, name));

    if (ref.kind === 'cell') {
      const cell = inNamespace(entities.cells, ref);
      if (!cell)
        throw new NotFoundError(`No Cell "${ref.name}" in the catalog`);
      refuseSharedCluster(cell, entities.cells);
      return this.target(
        'Cell',
        cell,
        cell,
        renderCellManifests({
          cell,
          tenants: entities.tenants,
          images: this.images,
        }),
      );
    }
    const deployment = inNamespace(entities.inferenceDeployments, ref);
    if (!deployment) {
      throw new NotFoundError(
        `No InferenceDeployment "${ref.name}" in the catalog`,
      );
    }
    const cellName = entityRefName(deployment.spec.cell);
    const cell = findCell(cellName);
    if (!cell) {
      throw new NotFoundError(
        `InferenceDeployment "${ref.name}" runs in cell "${cellName}", which is not in the catalog`,
      );
    }
    refuseSharedKubernetesId(deployment, cell, entities.inferenceDeployments);
    return this.target(
      'InferenceDeployment',
      deployment,
      cell,
      renderInferenceManifests({
        deployment,
        // The catalog's spelling, as the owner selector has it: the deployment's ref may be
        // in other case, and its objects must be the ones the selector finds.
        cell: cell.metadata.name,
        images: this.images,
      }),
    );
  }

  private target(
    kind: DeployTarget['kind'],
    entity: CellEntity | InferenceDeploymentEntity,
    cell: CellEntity,
    manifests: Manifest[],
  ): DeployTarget {
    const entityRef = stringifyEntityRef({
      kind,
      namespace: entity.metadata.namespace,
      name: entity.metadata.name,
    });
    assertKubernetesId(entityRef, entity);
    const problems = validateManifests(manifests);
    if (problems.length > 0) {
      throw new InputError(
        `The manifests rendered for ${entityRef} fail Kubernetes validation: ${problems
          .map(p => `${p.object}: ${p.message}`)
          .join('; ')}`,
      );
    }
    const { 'app.kubernetes.io/component': _component, ...owned } =
      platformLabels({
        cell: cell.metadata.name,
        kubernetesId:
          entity.metadata.annotations?.[KUBERNETES_ID_ANNOTATION] ??
          entity.metadata.name,
        component: INFERENCE_COMPONENT,
      });
    return {
      entityRef,
      kind,
      cell: cell.metadata.name,
      cluster: cell.spec.cluster,
      manifests: applyOrder(manifests),
      selector: labelSelector({
        ...owned,
        'app.kubernetes.io/component':
          kind === 'Cell' ? { not: INFERENCE_COMPONENT } : INFERENCE_COMPONENT,
      }),
    };
  }
}

/**
 * A cluster runs one cell: the rendered gateway's namespace and object names are fixed, so a
 * second cell's deploy would take over the first's gateway (and prune what it does not render).
 */
function refuseSharedCluster(cell: CellEntity, cells: CellEntity[]): void {
  const others = cells.filter(
    c => c !== cell && c.spec.cluster === cell.spec.cluster,
  );
  if (others.length > 0) {
    throw new InputError(
      `spec.cluster: cluster "${cell.spec.cluster}" also runs cell ${others
        .map(c => `"${c.metadata.name}"`)
        .join(
          ', ',
        )}; a cluster runs one cell, whose gateway's namespace and names it owns`,
    );
  }
}

/**
 * An InferenceDeployment's objects are found, and pruned, by its cell and kubernetes-id: a
 * second deployment of the cell with the same id would delete the first's GPU workload.
 */
function refuseSharedKubernetesId(
  deployment: InferenceDeploymentEntity,
  cell: CellEntity,
  deployments: InferenceDeploymentEntity[],
): void {
  const idOf = (d: InferenceDeploymentEntity) =>
    d.metadata.annotations?.[KUBERNETES_ID_ANNOTATION] ?? d.metadata.name;
  const id = idOf(deployment);
  const clash = deployments.find(
    d =>
      d !== deployment &&
      sameEntityName(d.spec.cell, cell.metadata.name) &&
      idOf(d) === id,
  );
  if (clash) {
    throw new InputError(
      `metadata.annotations["${KUBERNETES_ID_ANNOTATION}"]: "${id}" is also the id of InferenceDeployment "${clash.metadata.name}" in cell "${cell.metadata.name}"; deploying would prune its objects`,
    );
  }
}

function parseRef(entityRef: string): CompoundEntityRef {
  let ref: CompoundEntityRef;
  try {
    ref = parseEntityRef(entityRef, { defaultNamespace: 'default' });
  } catch (error) {
    throw new InputError(`entityRef: ${(error as Error).message}`);
  }
  const kind = ref.kind.toLocaleLowerCase('en-US');
  if (kind !== 'cell' && kind !== 'inferencedeployment') {
    throw new InputError(
      `entityRef: must be a Cell or an InferenceDeployment, got "${entityRef}"`,
    );
  }
  return { ...ref, kind };
}

function inNamespace<
  T extends { metadata: { name: string; namespace?: string } },
>(entities: T[], ref: CompoundEntityRef): T | undefined {
  return entities.find(
    e =>
      e.metadata.name === ref.name &&
      (e.metadata.namespace ?? 'default') === ref.namespace,
  );
}
