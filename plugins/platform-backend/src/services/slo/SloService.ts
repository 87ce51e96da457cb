import { NotFoundError } from '@backstage/errors';
import {
  DEFAULT_SLOS,
  SloObjective,
  SloReport as ApiSloReport,
} from '@cellport/plugin-platform-common';
import { PlatformCatalog, refName } from '../catalog/PlatformCatalog';
import { RollupFilter } from '../rollups/RollupStore';
import { SloEngine, SloStatus } from './SloEngine';

/** What an SLO report is about: a whole cell, one tenant, or one agent. */
export type SloScope = ApiSloReport['scope'];

/** The API's `SloReport`, with the engine's statuses. */
export type SloReport = Omit<ApiSloReport, 'objectives'> & {
  objectives: SloStatus[];
};

/**
 * SLO reports per cell, tenant and agent. Objectives come from the Cell's or Agent's `slos`
 * list; a Tenant (which declares none) and entities without a list get the reference
 * defaults of seed 001 (`DEFAULT_SLOS`).
 */
export class SloService {
  constructor(
    private readonly catalog: PlatformCatalog,
    private readonly engine: SloEngine,
  ) {}

  async report(
    scope: SloScope,
    restrictTo?: { tenants?: string[] },
  ): Promise<SloReport> {
    const declared = await this.declaredObjectives(scope);
    const objectives = declared
      ? declared.map(objective => ({ objective, source: 'entity' as const }))
      : DEFAULT_SLOS.map(objective => ({
          objective,
          source: 'default' as const,
        }));
    const filter: RollupFilter = { [scope.kind]: scope.name, ...restrictTo };
    return {
      scope,
      objectives: await this.engine.evaluate(objectives, filter),
    };
  }

  private async declaredObjectives(
    scope: SloScope,
  ): Promise<SloObjective[] | undefined> {
    const entities = await this.catalog.entities();
    const lists = {
      cell: entities.cells,
      agent: entities.agents,
      tenant: entities.tenants,
    };
    const entity = (lists[scope.kind] as typeof entities.cells).find(
      e => e.metadata.name === refName(scope.name),
    );
    if (!entity) {
      throw new NotFoundError(
        `No ${scope.kind} named "${scope.name}" in the catalog`,
      );
    }
    return 'slos' in entity.spec ? entity.spec.slos : undefined;
  }
}
