import {
  CellEntity,
  KUBERNETES_ID_ANNOTATION,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { RUNTIME_NAMESPACE } from '../labels';
import { DEFAULT_IMAGES, Manifest, ManifestImages } from '../types';
import { gatewayManifests } from './gatewayManifests';
import { tenantNamespaceManifests } from './tenantNamespaceManifests';

/** The shared plane's gateway namespace, deployed once per shared cell by deploy/. */
export const SHARED_GATEWAY_NAMESPACE = 'cellport-shared-gateway';

/**
 * Every Kubernetes object a cell needs for the tenants it hosts (seed 000's tiers).
 *
 * - shared: one namespace per tenant; the gateway is the shared plane's, not rendered here.
 * - dedicated and customer-vpc: the tenant's namespace plus the cell's own gateway in
 *   `cellport-runtime`; the same manifests serve both modes, only the cluster differs.
 *
 * Pass the cell and its tenants as validated entities (defaults applied).
 */
export function renderCellManifests(options: {
  cell: CellEntity;
  tenants: TenantEntity[];
  images?: Partial<ManifestImages>;
}): Manifest[] {
  const { cell, tenants } = options;
  const images = { ...DEFAULT_IMAGES, ...options.images };
  const name = cell.metadata.name;
  const kubernetesId =
    cell.metadata.annotations?.[KUBERNETES_ID_ANNOTATION] ?? name;
  const hosted = tenants.filter(t =>
    cell.spec.tenants.some(
      ref => ref.replace(/^tenant:(default\/)?/i, '') === t.metadata.name,
    ),
  );
  const ownGateway = cell.spec.tier !== 'shared';
  const gatewayNamespace = ownGateway
    ? RUNTIME_NAMESPACE
    : SHARED_GATEWAY_NAMESPACE;

  const manifests: Manifest[] = [];
  if (ownGateway) {
    // Seed 002 sizes a regional gateway at 4–8 pods; a single-tenant cell starts at 2.
    manifests.push(
      ...gatewayManifests({
        cell: name,
        kubernetesId,
        namespace: RUNTIME_NAMESPACE,
        image: images.gateway,
        minReplicas: 2,
        maxReplicas: 8,
      }),
    );
  }
  for (const tenant of hosted) {
    manifests.push(
      ...tenantNamespaceManifests({
        cell: name,
        kubernetesId,
        tenant,
        gatewayNamespace,
      }),
    );
  }
  return manifests;
}
