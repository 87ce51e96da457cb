import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  formatValidationIssues,
  platformKinds,
} from '@cellport/plugin-platform-common';
import { Clock } from '../clock';
import { PlatformEntities, toPlatformEntities } from './platformEntities';

/** How long a snapshot is reused; dashboards call often, the catalog changes rarely. */
const CACHE_MS = 15_000;

/**
 * Reads the platform kinds from the catalog with the plugin's own service credentials, for
 * every backend plugin of the platform.
 * Entities that fail their kind's schema are skipped with a warning (the catalog module
 * reports them on the entity).
 */
export class PlatformCatalog {
  private cached?: { at: number; entities: Promise<PlatformEntities> };

  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly logger: LoggerService,
    private readonly clock: Clock,
  ) {}

  /** A snapshot at most CACHE_MS old; `fresh` reads the catalog now. */
  async entities(options: { fresh?: boolean } = {}): Promise<PlatformEntities> {
    const now = this.clock.now();
    if (!options.fresh && this.cached && now - this.cached.at < CACHE_MS) {
      return this.cached.entities;
    }
    const entities = this.load();
    this.cached = { at: now, entities };
    entities.catch(() => {
      this.cached = undefined;
    });
    return entities;
  }

  private async load(): Promise<PlatformEntities> {
    const { items } = await this.catalog.getEntities(
      { filter: { kind: platformKinds } },
      { credentials: await this.auth.getOwnServiceCredentials() },
    );
    return toPlatformEntities(items, (entity, issues) =>
      this.logger.warn(
        `Skipping invalid ${stringifyEntityRef(
          entity,
        )}: ${formatValidationIssues(issues)}`,
      ),
    );
  }
}
