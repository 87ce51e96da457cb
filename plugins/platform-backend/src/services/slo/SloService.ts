import { Config } from '@backstage/config';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  DEFAULT_SLOS,
  entityRefName,
  SloObjective,
  SloReport as ApiSloReport,
} from '@cellport/plugin-platform-common';
import { PrometheusSliSource } from '../prometheus/PrometheusSliSource';
import { RollupFilter } from '../rollups/RollupStore';
import { SloEngine, SloStatus } from './SloEngine';
import { serviceSloStatuses } from './serviceSloStatuses';
import { Clock, PlatformCatalog } from '@cellport/plugin-platform-node';

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
    private readonly prometheus?: PrometheusSliSource,
  ) {}

  /** The service, reading the SLIs of the cells' other runtime services from `platform.prometheus`. */
  static fromConfig(
    config: Config,
    catalog: PlatformCatalog,
    engine: SloEngine,
    clock: Clock,
  ): SloService {
    return new SloService(
      catalog,
      engine,
      PrometheusSliSource.fromConfig(config, { clock }),
    );
  }

  /**
   * The scope's SLO report. With `services`, a cell's report adds every runtime service's
   * objectives, those whose SLIs live in Prometheus read from it, with each budget's course
   * for the cards unless `budgetSeries` is false (the deploy gate and the Cells list need
   * only where each objective stands).
   */
  async report(
    scope: SloScope,
    restrictTo?: { tenants?: string[] },
    options: { services?: boolean; budgetSeries?: boolean } = {},
  ): Promise<SloReport> {
    const entity = await this.entity(scope);
    // An agent is its tenant's: a caller restricted to other tenants may not read its SLOs.
    if (
      scope.kind === 'agent' &&
      restrictTo?.tenants &&
      'tenant' in entity.spec &&
      !restrictTo.tenants.includes(entityRefName(String(entity.spec.tenant)))
    ) {
      throw new NotAllowedError(`Not allowed to read agent "${scope.name}"`);
    }
    const declared: SloObjective[] | undefined =
      'slos' in entity.spec ? entity.spec.slos : undefined;
    const objectives = declared
      ? declared.map(objective => ({ objective, source: 'entity' as const }))
      : DEFAULT_SLOS.map(objective => ({
          objective,
          source: 'default' as const,
        }));
    const filter: RollupFilter = { [scope.kind]: scope.name, ...restrictTo };
    const evaluated = await this.engine.evaluate(objectives, filter);
    if (scope.kind !== 'cell' || !options.services) {
      return { scope, objectives: evaluated };
    }
    return {
      scope,
      objectives: evaluated,
      services: await serviceSloStatuses({
        cell: entity,
        eventStatuses: evaluated,
        prometheus: this.prometheus,
        restrictTo,
        budgetSeries: options.budgetSeries ?? true,
      }),
    };
  }

  private async entity(scope: SloScope) {
    const entities = await this.catalog.entities();
    const lists = {
      cell: entities.cells,
      agent: entities.agents,
      tenant: entities.tenants,
    };
    const entity = (lists[scope.kind] as typeof entities.cells).find(
      e => e.metadata.name === entityRefName(scope.name),
    );
    if (!entity) {
      throw new NotFoundError(
        `No ${scope.kind} named "${scope.name}" in the catalog`,
      );
    }
    return entity;
  }
}
