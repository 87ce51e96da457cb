import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AgentEntity,
  CellEntity,
  formatValidationIssues,
  InferenceDeploymentEntity,
  ModelProfileEntity,
  PlatformKind,
  platformKinds,
  TenantEntity,
  validatePlatformEntity,
} from '@cellport/plugin-platform-common';
import { Clock } from '../clock';

/** The platform entities of the catalog, parsed with their kinds' defaults applied. */
export interface PlatformEntities {
  tenants: TenantEntity[];
  cells: CellEntity[];
  agents: AgentEntity[];
  modelProfiles: ModelProfileEntity[];
  inferenceDeployments: InferenceDeploymentEntity[];
}

/** How long a snapshot is reused; dashboards call often, the catalog changes rarely. */
const CACHE_MS = 15_000;

/** The name an entity reference points at: the one rule, `entityRefName`, of platform-common. */
export { entityRefName as refName } from '@cellport/plugin-platform-common';

/**
 * Reads the platform kinds from the catalog with the plugin's own service credentials.
 * Entities that fail their kind's schema are skipped (the catalog module reports them on the
 * entity), so one bad entity cannot stop the reconciler or the dashboards.
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
    const result: PlatformEntities = {
      tenants: [],
      cells: [],
      agents: [],
      modelProfiles: [],
      inferenceDeployments: [],
    };
    for (const item of items) {
      this.add(result, item);
    }
    return result;
  }

  private add(result: PlatformEntities, entity: Entity) {
    const kind = entity.kind as PlatformKind;
    const parsed = validatePlatformEntity(kind, entity);
    if (!parsed.ok) {
      this.logger.warn(
        `Skipping invalid ${stringifyEntityRef(
          entity,
        )}: ${formatValidationIssues(parsed.issues)}`,
      );
      return;
    }
    switch (kind) {
      case 'Tenant':
        result.tenants.push(parsed.entity as TenantEntity);
        break;
      case 'Cell':
        result.cells.push(parsed.entity as CellEntity);
        break;
      case 'Agent':
        result.agents.push(parsed.entity as AgentEntity);
        break;
      case 'ModelProfile':
        result.modelProfiles.push(parsed.entity as ModelProfileEntity);
        break;
      case 'InferenceDeployment':
        result.inferenceDeployments.push(
          parsed.entity as InferenceDeploymentEntity,
        );
        break;
      default:
    }
  }
}
