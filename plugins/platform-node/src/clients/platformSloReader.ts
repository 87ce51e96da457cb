import {
  AuthService,
  coreServices,
  createServiceFactory,
  createServiceRef,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { PlatformApiClient, SloReport } from '@cellport/plugin-platform-common';
import { bodyOf, ownServiceToken } from './pluginRequests';

/** An SLO report reads the cell's rollups and Prometheus; a backend that hangs fails the read. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The SLO reports of the platform backend, for plugins that decide on them (the deploy gate). */
export interface PlatformSloReader {
  /** A cell's report, its other runtime services' objectives included: `GET /slos?cell=`. */
  cellReport(cell: string): Promise<SloReport>;
}

/** Reads the platform backend's `/slos` over HTTP, as the calling plugin. */
export class HttpPlatformSloReader implements PlatformSloReader {
  private readonly client: PlatformApiClient;

  constructor(discovery: DiscoveryService, private readonly auth: AuthService) {
    this.client = new PlatformApiClient({ discoveryApi: discovery });
  }

  async cellReport(cell: string): Promise<SloReport> {
    const { token } = await ownServiceToken(this.auth, 'platform');
    return bodyOf(
      await this.client.getSloReport(
        // Where the budgets stand, without the burn-down chart's points.
        { query: { cell, budgetSeries: 'false' } },
        { token, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
      ),
    );
  }
}

/** The platform backend's SLO reports; by default over HTTP. */
export const platformSloReaderServiceRef = createServiceRef<PlatformSloReader>({
  id: 'cellport.platform.slo-reader',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { discovery: coreServices.discovery, auth: coreServices.auth },
      factory: ({ discovery, auth }) =>
        new HttpPlatformSloReader(discovery, auth),
    }),
});
