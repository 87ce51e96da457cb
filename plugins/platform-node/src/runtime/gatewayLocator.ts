import { createExtensionPoint } from '@backstage/backend-plugin-api';

/** A cell gateway that something other than the catalog or config provides. */
export interface LocatedGateway {
  /** `starting` until its `/health` answers; `failing` when it exited or never came up. */
  state: 'starting' | 'running' | 'failing';
  baseUrl?: string;
  adminToken?: string;
  /** Why it is failing (the gateway's last words), or what it is waiting for. */
  detail?: string;
}

/**
 * Provides the gateways of cells whose Cell entity names no gateway URL and that no config
 * names either: in the embedded default, the portal's local runtime starts one gateway
 * process per such cell. Production has none; there a cell's gateway comes from applying its
 * manifests.
 */
export interface CellGatewayLocator {
  locate(cell: string): LocatedGateway | undefined;
  /**
   * Asks for the cell's gateway now rather than at the locator's next look at the catalog:
   * the reconciler calls it when a template that just registered the cell pushes to it.
   * Called only for catalog cells that neither config nor the Cell entity locate.
   */
  request(cell: string): void;
  /** Called whenever a cell's gateway starts answering, so its state is pushed at once. */
  onRunning(listener: (cell: string) => void): void;
}

export interface PlatformGatewayLocatorExtensionPoint {
  setGatewayLocator(locator: CellGatewayLocator): void;
}

/** Lets a backend module provide the gateways of cells the catalog does not locate. */
export const platformGatewayLocatorExtensionPoint =
  createExtensionPoint<PlatformGatewayLocatorExtensionPoint>({
    id: 'platform.gateway-locator',
  });
