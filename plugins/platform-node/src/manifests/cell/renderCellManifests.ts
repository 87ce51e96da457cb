import {
  CellEntity,
  hostedTenants,
  KUBERNETES_ID_ANNOTATION,
  TenantEntity,
} from '@cellport/plugin-platform-common';
import { RUNTIME_NAMESPACE } from '../labels';
import { DEFAULT_IMAGES, Manifest, ManifestImages } from '../types';
import { gatewayManifests } from './gatewayManifests';
import { inferenceNamespaceManifests } from './inferenceNamespaceManifests';
import { tenantNamespaceManifests } from './tenantNamespaceManifests';

/** The namespace of a shared cell's gateway, the stateless shared plane of seed 000. */
export const SHARED_GATEWAY_NAMESPACE = 'cellport-shared-gateway';

/**
 * Every Kubernetes object a cell needs for the tenants it hosts (seed 000's tiers).
 *
 * - shared: one namespace per tenant, and the cell's gateway in `cellport-shared-gateway`,
 *   shared by its tenants with tenant context per request.
 * - dedicated and customer-vpc: the tenant's namespace plus the cell's own gateway in
 *   `cellport-runtime`; the same manifests serve both modes, only the cluster differs.
 * - any cell with GPUs: the `cellport-inference` namespace its vLLM deployments run in.
 *
 * Pass the cell and its tenants as validated entities (defaults applied). Onboarding one more
 * tenant into a running cell renders with `includeGateway: false`: only its namespace.
 */
export function renderCellManifests(options: {
  cell: CellEntity;
  tenants: TenantEntity[];
  images?: Partial<ManifestImages>;
  includeGateway?: boolean;
}): Manifest[] {
  const { cell, tenants } = options;
  const images = { ...DEFAULT_IMAGES, ...options.images };
  const name = cell.metadata.name;
  const kubernetesId =
    cell.metadata.annotations?.[KUBERNETES_ID_ANNOTATION] ?? name;
  // The platform's one rule of who a cell hosts: a shared cell also hosts the tenants that
  // name it (onboarded since, the cell's file left as it was), and names match as the catalog
  // matches them. A tenant left out here would have its namespace pruned by the next deploy.
  const hostedNames = new Set(hostedTenants(cell, tenants));
  const hosted = tenants.filter(t => hostedNames.has(t.metadata.name));
  const ownGateway = cell.spec.tier !== 'shared';
  const gatewayNamespace = ownGateway
    ? RUNTIME_NAMESPACE
    : SHARED_GATEWAY_NAMESPACE;

  const manifests: Manifest[] = [];
  if (options.includeGateway ?? true) {
    // Seed 002 sizes a regional gateway at 4–8 pods; a single-tenant cell starts at 2.
    manifests.push(
      ...gatewayManifests({
        cell: name,
        kubernetesId,
        namespace: gatewayNamespace,
        image: images.gateway,
        minReplicas: ownGateway ? 2 : 4,
        maxReplicas: 8,
      }),
    );
  }
  if ((options.includeGateway ?? true) && cell.spec.capacity.gpus > 0) {
    manifests.push(
      ...inferenceNamespaceManifests({ cell: name, kubernetesId }),
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
