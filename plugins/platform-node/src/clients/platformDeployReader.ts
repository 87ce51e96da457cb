import {
  AuthService,
  coreServices,
  createServiceFactory,
  createServiceRef,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  DeployRolloutStatus,
  PlatformDeployApiClient,
} from '@cellport/plugin-platform-deploy-common';
import { bodyOf, ownServiceToken } from './pluginRequests';

/** The most entity refs one `/first-applied` request may name (its document's maxItems). */
const FIRST_APPLIED_BATCH = 1000;
/** A status read asks the cluster; the driver bounds that itself, this bounds the driver. */
const STATUS_TIMEOUT_MS = 60_000;
/** First applies are a database read the cost pages wait for. */
const FIRST_APPLIED_TIMEOUT_MS = 10_000;

/** What the platform backend reads from the deploy driver for GPU cost. */
export interface PlatformDeployReader {
  /** The rollout status of a Cell's or InferenceDeployment's workloads: `GET /status`. */
  status(entityRef: string): Promise<DeployRolloutStatus>;
  /**
   * When each entity was first applied, epoch milliseconds, by lower-cased entity ref;
   * never-applied ones are absent, and so is everything when no deploy driver is installed.
   */
  firstApplied(entityRefs: string[]): Promise<Map<string, number>>;
}

/** Reads the deploy driver (`platform-deploy`) over HTTP, as the calling plugin. */
export class HttpPlatformDeployReader implements PlatformDeployReader {
  private readonly client: PlatformDeployApiClient;

  constructor(discovery: DiscoveryService, private readonly auth: AuthService) {
    this.client = new PlatformDeployApiClient({ discoveryApi: discovery });
  }

  async status(entityRef: string): Promise<DeployRolloutStatus> {
    const { token } = await ownServiceToken(this.auth, 'platform-deploy');
    return bodyOf(
      await this.client.getDeployStatus(
        { query: { entityRef } },
        { token, signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) },
      ),
    );
  }

  async firstApplied(entityRefs: string[]): Promise<Map<string, number>> {
    const applied = new Map<string, number>();
    if (entityRefs.length === 0) return applied;
    const { token } = await ownServiceToken(this.auth, 'platform-deploy');
    try {
      for (let i = 0; i < entityRefs.length; i += FIRST_APPLIED_BATCH) {
        const batch = entityRefs.slice(i, i + FIRST_APPLIED_BATCH);
        const { items } = await bodyOf(
          await this.client.listFirstApplied(
            { body: { entityRefs: batch } },
            { token, signal: AbortSignal.timeout(FIRST_APPLIED_TIMEOUT_MS) },
          ),
        );
        for (const item of items) {
          applied.set(item.entityRef, Date.parse(item.firstAppliedAt));
        }
      }
      return applied;
    } catch (error) {
      // A backend without the deploy driver has applied nothing.
      if (error instanceof ResponseError && error.statusCode === 404) {
        return applied;
      }
      throw error;
    }
  }
}

/** The deploy driver's status and audit, for GPU sampling and cost; by default over HTTP. */
export const platformDeployReaderServiceRef =
  createServiceRef<PlatformDeployReader>({
    id: 'cellport.platform.deploy-reader',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: { discovery: coreServices.discovery, auth: coreServices.auth },
        factory: ({ discovery, auth }) =>
          new HttpPlatformDeployReader(discovery, auth),
      }),
  });
